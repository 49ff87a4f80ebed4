using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.FSharp.Core;
using LlcLab.IO;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>The files of one exported figure.</summary>
/// <param name="Html">Offline interactive HTML (responsive).</param>
/// <param name="Png">Raster image, <see cref="ChartStyle.ExportWidth"/>·scale × <see cref="ChartStyle.ExportHeight"/>·scale pixels.</param>
/// <param name="Svg">Vector image at <see cref="ChartStyle.ExportWidth"/> × <see cref="ChartStyle.ExportHeight"/> CSS px.</param>
public sealed record ExportedFigure(string Html, string Png, string Svg);

/// <summary>
/// Writes charts to disk: standalone HTML that works offline (plotly.js embedded, no external script), and PNG / SVG
/// images rendered by plotly.js itself (<c>Plotly.toImage</c>) inside a headless Chromium, so their size is exact:
/// the figure is laid out at width × height CSS px and the PNG is rasterised at <c>scale</c> device pixels per CSS px
/// (defaults: the suite's stated export size, <see cref="ChartStyle.ExportWidth"/> × <see cref="ChartStyle.ExportHeight"/>
/// at <see cref="ChartStyle.ExportScale"/> → 1920 × 1200 PNG).
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
        AtomicFile.WriteAllText(full, ToStandaloneHtml(chart));
        return full;
    }

    /// <summary>The headless browser used for image export, or null: $LLCLAB_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH.</summary>
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

    /// <summary>Whether PNG / SVG export is available on this machine.</summary>
    public static bool CanSavePng => FindChromium() is not null;

    /// <summary>
    /// Renders <paramref name="chart"/> to a PNG of (<paramref name="width"/>·<paramref name="scale"/>) × (<paramref name="height"/>·<paramref name="scale"/>)
    /// pixels. Throws <see cref="InvalidOperationException"/> naming the fix when no browser is installed.
    /// </summary>
    public static string SavePng(GenericChart chart, string path, int width = ChartStyle.ExportWidth, int height = ChartStyle.ExportHeight,
        int timeoutSeconds = 120, int scale = ChartStyle.ExportScale)
    {
        var full = Target(path, ".png");
        var images = Render(chart, width, height, scale, new[] { "png" }, timeoutSeconds);
        AtomicFile.WriteAllBytes(full, images["png"]);
        return full;
    }

    /// <summary>Renders <paramref name="chart"/> to an SVG of <paramref name="width"/> × <paramref name="height"/> CSS px.</summary>
    public static string SaveSvg(GenericChart chart, string path, int width = ChartStyle.ExportWidth, int height = ChartStyle.ExportHeight,
        int timeoutSeconds = 120)
    {
        var full = Target(path, ".svg");
        var images = Render(chart, width, height, 1, new[] { "svg" }, timeoutSeconds);
        AtomicFile.WriteAllBytes(full, images["svg"]);
        return full;
    }

    /// <summary>
    /// Writes <c>{stem}.html</c>, <c>{stem}.png</c> and <c>{stem}.svg</c> (one browser run for both images) at the stated
    /// export size. The HTML is written first, so it exists even when the images cannot be made (no browser: the
    /// exception says how to install one).
    /// </summary>
    public static ExportedFigure Save(GenericChart chart, string stem, int width = ChartStyle.ExportWidth, int height = ChartStyle.ExportHeight,
        int scale = ChartStyle.ExportScale, int timeoutSeconds = 120)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stem);
        var baseFull = Path.GetFullPath(stem);
        var html = SaveHtml(chart, baseFull + ".html");
        var images = Render(chart, width, height, scale, new[] { "png", "svg" }, timeoutSeconds);
        AtomicFile.WriteAllBytes(baseFull + ".png", images["png"]);
        AtomicFile.WriteAllBytes(baseFull + ".svg", images["svg"]);
        return new ExportedFigure(html, baseFull + ".png", baseFull + ".svg");
    }

    /// <summary>The pixel size stored in a PNG's IHDR chunk (bytes 16–23, big-endian).</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        if (png.Length < 24 || png[0] != 0x89 || png[1] != (byte)'P' || png[2] != (byte)'N' || png[3] != (byte)'G')
            throw new ArgumentException("Not a PNG file (bad signature).", nameof(png));
        static int Be(byte[] b, int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
        return (Be(png, 16), Be(png, 20));
    }

    /// <summary>
    /// Lays the figure out at width × height in headless Chromium and asks plotly.js for each format
    /// (<c>Plotly.toImage</c>, which returns a data URL); the page writes the URLs into the DOM, and
    /// <c>--dump-dom</c> hands them back on stdout. Returns the decoded bytes per format.
    /// </summary>
    private static Dictionary<string, byte[]> Render(GenericChart chart, int width, int height, int scale, string[] formats, int timeoutSeconds)
    {
        ArgumentNullException.ThrowIfNull(chart);
        if (width < 10 || height < 10) throw new ArgumentException($"Image size must be at least 10 × 10 px, got {width} × {height}.", nameof(width));
        if (scale is < 1 or > 8) throw new ArgumentException($"scale must be 1…8, got {scale}.", nameof(scale));
        var browser = FindChromium() ?? throw new InvalidOperationException(
            "PNG/SVG export needs a headless Chromium, and none was found (looked for $LLCLAB_CHROMIUM, chromium, chromium-browser, google-chrome on PATH). " +
            "Install it (Debian/Ubuntu: `sudo apt-get install chromium`) or use ChartExport.SaveHtml, which needs nothing.");
        var tmpDir = Directory.CreateTempSubdirectory("llclab-img-");
        try
        {
            File.WriteAllText(Path.Combine(tmpDir.FullName, "plotly.min.js"), PlotlyJs.Value);
            var page = Path.Combine(tmpDir.FullName, "render.html");
            File.WriteAllText(page, RenderPage(GenericChart.toFigureJson(chart.WithPixelSize(width, height)), width, height, scale, formats));
            var psi = new ProcessStartInfo(browser) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                         $"--user-data-dir={Path.Combine(tmpDir.FullName, "profile")}", "--virtual-time-budget=30000",
                         $"--window-size={width},{height}", "--dump-dom", new Uri(page).AbsoluteUri })
                psi.ArgumentList.Add(a);
            using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {browser}.");
            var stdout = proc.StandardOutput.ReadToEndAsync();
            var stderr = proc.StandardError.ReadToEndAsync();
            if (!proc.WaitForExit(timeoutSeconds * 1000))
            {
                proc.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{browser} did not finish rendering within {timeoutSeconds} s.");
            }
            proc.WaitForExit();
            var dom = stdout.Result;
            var error = Extract(dom, "err");
            if (!string.IsNullOrEmpty(error)) throw new InvalidOperationException($"plotly.js could not render the figure: {error}");
            var result = new Dictionary<string, byte[]>();
            foreach (var f in formats)
            {
                var url = Extract(dom, f);
                if (string.IsNullOrEmpty(url))
                    throw new InvalidOperationException($"{browser} (exit code {proc.ExitCode}) returned no {f} image: {stderr.Result.Trim()[..Math.Min(2000, stderr.Result.Trim().Length)]}");
                result[f] = DecodeDataUrl(url);
            }
            return result;
        }
        finally
        {
            try { tmpDir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string RenderPage(string figureJson, int width, int height, int scale, string[] formats)
    {
        var fmts = string.Join(",", formats.Select(f => $"'{f}'"));
        // The figure JSON is embedded in a script element: "</" must not end it early.
        var fig = figureJson.Replace("</", "<\\/");
        return $$"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head>
            <body style="margin:0"><div id="chart" style="width:{{width}}px;height:{{height}}px"></div>
            <pre id="png"></pre><pre id="svg"></pre><pre id="err"></pre>
            <script>
            const fig = {{fig}};
            Plotly.newPlot('chart', fig.data, fig.layout, {staticPlot: true, displayModeBar: false})
              .then(gd => Promise.all([{{fmts}}].map(f => Plotly.toImage(gd, {format: f, width: {{width}}, height: {{height}}, scale: f === 'png' ? {{scale}} : 1})
                .then(url => { document.getElementById(f).textContent = url; }))))
              .catch(e => { document.getElementById('err').textContent = 'error: ' + String(e && e.stack || e); });
            </script></body></html>
            """;
    }

    private static string Extract(string dom, string id)
    {
        var m = Regex.Match(dom, $"<pre id=\"{id}\">(.*?)</pre>", RegexOptions.Singleline);
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value).Trim() : "";
    }

    /// <summary>Decodes a data URL: base64 (PNG) or percent-encoded text (plotly's SVG).</summary>
    internal static byte[] DecodeDataUrl(string url)
    {
        int comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0) throw new InvalidOperationException($"Not a data URL: {url[..Math.Min(80, url.Length)]}");
        var header = url[..comma];
        var body = url[(comma + 1)..];
        return header.EndsWith(";base64", StringComparison.Ordinal)
            ? Convert.FromBase64String(body)
            : System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(body));
    }

    /// <summary>plotly.min.js as shipped inside Plotly.NET (the same version the HTML export inlines).</summary>
    private static readonly Lazy<string> PlotlyJs = new(() =>
    {
        var asm = typeof(GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.Contains("plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Plotly.NET does not carry plotly.min.js as a resource; cannot render images offline.");
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    });

    private static string Target(string path, string ext)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _ = ext;
        return Path.GetFullPath(path);
    }
}
