using System.Diagnostics;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// Renders an offline chart HTML file to PNG with Debian's headless <c>chromium</c>
/// (<c>--headless --no-sandbox --disable-gpu … --screenshot</c>, a throw-away profile folder,
/// no network services, a time limit). When chromium is not installed, PNG export is skipped.
/// </summary>
public static class ChromiumRenderer
{
    static readonly Lazy<string?> Executable = new(Find);

    /// <summary>Path of chromium (<c>LLCLAB_CHROMIUM</c>, else <c>chromium</c>/<c>chromium-browser</c> on PATH), or null.</summary>
    public static string? ExecutablePath => Executable.Value;

    public static bool IsAvailable => ExecutablePath is not null;

    /// <summary>Renders <paramref name="htmlPath"/> to <paramref name="pngPath"/>. Returns null on success, else why not.</summary>
    public static string? TryRender(string htmlPath, string pngPath, TimeSpan? timeout = null, int width = 1000, int height = 700)
    {
        var exe = ExecutablePath;
        if (exe is null) return "chromium is not installed: PNG export skipped (apt-get install chromium; .ci/run does this).";
        string profile = Path.Combine(Path.GetTempPath(), "llclab-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        string full = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp.png";
        try
        {
            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--hide-scrollbars", "--virtual-time-budget=5000",
                $"--user-data-dir={profile}", $"--screenshot={tmp}", $"--window-size={width},{height}",
                new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
            }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return $"chromium did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0}s: no PNG for {Path.GetFileName(htmlPath)}.";
            }
            if (!File.Exists(tmp) || new FileInfo(tmp).Length == 0)
                return $"chromium exited with code {p.ExitCode} without writing a screenshot of {Path.GetFileName(htmlPath)}: {Tail(stderr.Result)}";
            File.Move(tmp, full, overwrite: true);
            return null;
        }
        finally
        {
            try { if (File.Exists(tmp)) File.Delete(tmp); } catch (IOException) { }
            try { Directory.Delete(profile, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    static string Tail(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" | ", lines.TakeLast(3));
    }

    static string? Find()
    {
        if (Environment.GetEnvironmentVariable("LLCLAB_CHROMIUM") is { Length: > 0 } env)
            return File.Exists(env) ? env : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in new[] { "chromium", "chromium-browser" })
            foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
