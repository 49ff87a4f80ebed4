using System.Diagnostics;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// Debian's headless <c>chromium</c>, run on a local file with a throw-away profile, no network
/// services and a time limit; <see cref="DumpDom"/> returns the page after its scripts ran.
/// When chromium is not installed, image export is skipped with a note.
/// </summary>
public static class ChromiumRenderer
{
    static readonly Lazy<string?> Executable = new(Find);

    /// <summary>Path of chromium (<c>LLCLAB_CHROMIUM</c>, else <c>chromium</c>/<c>chromium-browser</c> on PATH), or null.</summary>
    public static string? ExecutablePath => Executable.Value;

    public static bool IsAvailable => ExecutablePath is not null;

    /// <summary>The DOM of <paramref name="htmlPath"/> after its scripts ran (virtual time), or null and why not.</summary>
    public static (string? Dom, string? Why) DumpDom(string htmlPath, TimeSpan timeout)
    {
        var exe = ExecutablePath;
        if (exe is null) return (null, "chromium is not installed (apt-get install chromium; .ci/run does this).");
        string profile = Path.Combine(Path.GetTempPath(), "llclab-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        try
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--virtual-time-budget=30000", $"--user-data-dir={profile}", "--dump-dom",
                new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
            }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return (null, $"chromium did not finish within {timeout.TotalSeconds:0}s on {Path.GetFileName(htmlPath)}.");
            }
            string dom = stdout.Result;
            return dom.Length == 0
                ? (null, $"chromium exited with code {p.ExitCode} and no page for {Path.GetFileName(htmlPath)}: {Tail(stderr.Result)}")
                : (dom, null);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    static string Tail(string s) => string.Join(" | ", s.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));

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
