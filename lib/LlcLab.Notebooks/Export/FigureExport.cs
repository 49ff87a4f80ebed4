using LlcLab.Notebooks.Shared;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// Writes a chart as figure files: offline HTML, and with Debian's headless <c>chromium</c> a PNG
/// (<see cref="ExportSize"/>: 960×600 CSS px at scale 2) and an SVG (960×600), both produced by
/// plotly.js itself (<c>Plotly.toImage</c>), so the figure is exactly the chart at the stated size —
/// not a screenshot of a browser window.
/// </summary>
public static class FigureExport
{
    /// <summary>Writes <c>stem.html</c>, and <c>stem.png</c>/<c>stem.svg</c> when chromium is available; returns the files written and notes.</summary>
    public static (IReadOnlyList<string> Files, IReadOnlyList<string> Notes) Write(PlotlyChart chart, string stem, string title, bool images, TimeSpan? timeout = null)
    {
        var files = new List<string>();
        var notes = new List<string>();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(stem))!);
        WriteAtomic(stem + ".html", chart.StandaloneDocument(title));
        files.Add(stem + ".html");
        if (!images) return (files, notes);
        if (ChromiumRenderer.ExecutablePath is null)
        {
            notes.Add("chromium is not installed: charts were saved as HTML only (apt-get install chromium; .ci/run does this).");
            return (files, notes);
        }
        string page = stem + $".export.{Environment.ProcessId}.html";
        try
        {
            WriteAtomic(page, ExportPage(chart));
            var (dom, why) = ChromiumRenderer.DumpDom(page, timeout ?? TimeSpan.FromSeconds(90));
            if (dom is null) { notes.Add(why ?? "chromium failed"); return (files, notes); }
            int start = dom.IndexOf("<pre id=\"llclab-export\">", StringComparison.Ordinal);
            if (start < 0) { notes.Add($"plotly.js did not export {Path.GetFileName(stem)} (no result in the page)."); return (files, notes); }
            start += "<pre id=\"llclab-export\">".Length;
            int end = dom.IndexOf("</pre>", start, StringComparison.Ordinal);
            var result = JsonNode.Parse(WebUtility.HtmlDecode(dom[start..end]))!;
            if (result["error"] is { } err) { notes.Add($"plotly.js could not export {Path.GetFileName(stem)}: {err}"); return (files, notes); }
            string png = result["png"]!.GetValue<string>();
            string svg = result["svg"]!.GetValue<string>();
            WriteAtomic(stem + ".png", Convert.FromBase64String(png[(png.IndexOf(',') + 1)..]));
            files.Add(stem + ".png");
            WriteAtomic(stem + ".svg", Uri.UnescapeDataString(svg[(svg.IndexOf(',') + 1)..]));
            files.Add(stem + ".svg");
        }
        finally { try { File.Delete(page); } catch (IOException) { } }
        return (files, notes);
    }

    static string ExportPage(PlotlyChart chart) =>
        chart.StandaloneDocument("", figure: true).Replace("</body>",
            "<script type=\"text/javascript\">window.llclabDrawn.then(function(gd){return Promise.all([" +
            $"Plotly.toImage(gd,{{format:'png',width:{ExportSize.Width},height:{ExportSize.Height},scale:{ExportSize.PngScale}}})," +
            $"Plotly.toImage(gd,{{format:'svg',width:{ExportSize.Width},height:{ExportSize.Height}}})]);}})" +
            ".then(function(r){return {png:r[0],svg:r[1]};},function(e){return {error:String(e)};})" +
            ".then(function(o){var p=document.createElement('pre');p.id='llclab-export';p.textContent=JSON.stringify(o);document.body.appendChild(p);});</script>\n</body>",
            StringComparison.Ordinal);

    static void WriteAtomic(string path, string text) => AtomicFile.WriteAllText(path, text);

    static void WriteAtomic(string path, byte[] bytes) => AtomicFile.WriteAllBytes(path, bytes);
}
