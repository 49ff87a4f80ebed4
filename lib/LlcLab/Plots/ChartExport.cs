using System.Diagnostics;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// Writes charts to disk: standalone HTML that works offline (plotly.js embedded, no external
/// script), and PNG rendered from that HTML by a headless Chromium when one is installed.
/// </summary>
public static class ChartExport
{
    /// <summary>
    /// The chart as a complete HTML document with the full plotly.js source inlined
    /// (Plotly.NET's <c>PlotlyJSReference.Full</c>, which carries plotly.min.js as a resource).
    /// </summary>
    public static string ToStandaloneHtml(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var options = DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.Full));
        return GenericChart.toEmbeddedHTML(Chart.withDisplayOptions(options).Invoke(chart));
    }

    /// <summary>Saves <paramref name="chart"/> as a standalone offline HTML file (atomically: temp file + rename). Returns the full path.</summary>
    public static string SaveHtml(GenericChart chart, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        WriteAtomically(full, ToStandaloneHtml(chart));
        return full;
    }

    /// <summary>The headless browser used for PNG export, or null: $LLCLAB_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH.</summary>
    public static string? FindChromium()
    {
        var env = Environment.GetEnvironmentVariable("LLCLAB_CHROMIUM");
        if (!string.IsNullOrWhiteSpace(env)) return File.Exists(env) ? env : null;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (var d in dirs)
            {
                var p = Path.Combine(d, name);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    /// <summary>Whether PNG export is available on this machine.</summary>
    public static bool CanSavePng => FindChromium() is not null;

    /// <summary>
    /// Renders <paramref name="chart"/> to a PNG by loading its offline HTML in headless Chromium.
    /// Throws <see cref="InvalidOperationException"/> naming the fix when no browser is installed.
    /// </summary>
    public static string SavePng(GenericChart chart, string path, int width = 1000, int height = 650, int timeoutSeconds = 120)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var browser = FindChromium() ?? throw new InvalidOperationException(
            "PNG export needs a headless Chromium, and none was found (looked for $LLCLAB_CHROMIUM, chromium, chromium-browser, google-chrome on PATH). " +
            "Install it (Debian/Ubuntu: `sudo apt-get install chromium`) or use ChartExport.SaveHtml, which needs nothing.");
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmpDir = Directory.CreateTempSubdirectory("llclab-png-");
        try
        {
            var html = Path.Combine(tmpDir.FullName, "chart.html");
            File.WriteAllText(html, ToStandaloneHtml(chart.WithPixelSize(width, height)));
            var tmpPng = Path.Combine(tmpDir.FullName, "chart.png");
            var psi = new ProcessStartInfo(browser)
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                         $"--user-data-dir={Path.Combine(tmpDir.FullName, "profile")}", "--virtual-time-budget=5000",
                         $"--window-size={width},{height}", $"--screenshot={tmpPng}", new Uri(html).AbsoluteUri })
                psi.ArgumentList.Add(a);
            using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {browser}.");
            var stderr = proc.StandardError.ReadToEndAsync();
            _ = proc.StandardOutput.ReadToEndAsync();
            if (!proc.WaitForExit(timeoutSeconds * 1000))
            {
                proc.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{browser} did not finish rendering {path} within {timeoutSeconds} s.");
            }
            if (!File.Exists(tmpPng))
                throw new InvalidOperationException($"{browser} exited with code {proc.ExitCode} without writing a PNG: {stderr.Result.Trim()}");
            File.Move(tmpPng, full, overwrite: true);
            return full;
        }
        finally
        {
            try { tmpDir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    internal static void WriteAtomically(string fullPath, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var tmp = fullPath + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, fullPath, overwrite: true);
    }
}
