using LlcLab.Notebooks.Shared;
using System.Net;
using System.Text;
using LlcLab.Notebooks.Execution;

namespace LlcLab.Notebooks.Export;

/// <summary>The <c>index.html</c> of a reproduce run: per notebook its status, executed notebook, figures; then every results file.</summary>
public static class IndexPage
{
    public static string Write(string outDir, IReadOnlyList<NotebookRunResult> runs, bool quick, double elapsedSeconds)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        string Link(string path) => Uri.EscapeDataString(Path.GetRelativePath(outDir, path).Replace('\\', '/')).Replace("%2F", "/");
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>LlcNotebooks — reproduced figures and results</title>\n<style>")
         .Append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}")
         .Append(".ok{color:#176f2c}.fail{color:#b00020}figure{display:inline-block;margin:.5em;vertical-align:top}")
         .Append("figure img{max-width:480px;border:1px solid #ddd}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}")
         .Append("</style>\n</head>\n<body>\n<h1>LlcNotebooks — reproduced figures and results</h1>\n");
        h.Append($"<p>{(quick ? "Quick mode (<code>quick=true</code>): small settings, for checking that everything runs." : "Full-size run.")} ")
         .Append($"{runs.Count(r => r.Succeeded)}/{runs.Count} notebooks ran completely in {elapsedSeconds:0.0}s, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.</p>\n");
        h.Append("<p>Open the executed notebooks in VS Code (Polyglot Notebooks); charts are interactive and work offline. ")
         .Append("Each chart is also a standalone HTML file (and PNG when chromium was available).</p>\n");
        foreach (var r in runs)
        {
            string name = Path.GetFileName(r.NotebookPath);
            h.Append($"<h2>{E(name)} <span class=\"{(r.Succeeded ? "ok" : "fail")}\">{(r.Succeeded ? "ran completely" : "FAILED")}</span></h2>\n");
            h.Append($"<p>{r.Cells.Count}/{r.CodeCellCount} code cells ran in {r.ElapsedSeconds:0.0}s.");
            if (r.ExecutedPath is not null)
            {
                h.Append($" Executed notebook: <a href=\"{Link(r.ExecutedPath)}\">{E(name)}</a>");
                string page = Path.ChangeExtension(r.ExecutedPath, ".html");
                if (File.Exists(page)) h.Append($" (<a href=\"{Link(page)}\">read as a web page</a>)");
                h.Append('.');
            }
            h.Append("</p>\n");
            foreach (var f in r.Failures) h.Append($"<pre class=\"fail\">{E(f.ToString())}</pre>\n");
            foreach (var n in r.Notes) h.Append($"<p><em>{E(n)}</em></p>\n");
            foreach (var html in r.ChartFiles.Where(f => f.EndsWith(".html", StringComparison.Ordinal)))
            {
                string png = Path.ChangeExtension(html, ".png");
                h.Append("<figure>");
                h.Append(r.ChartFiles.Contains(png)
                    ? $"<a href=\"{Link(html)}\"><img src=\"{Link(png)}\" alt=\"{E(Path.GetFileName(html))}\"></a>"
                    : $"<a href=\"{Link(html)}\">{E(Path.GetFileName(html))}</a>");
                h.Append($"<figcaption>{E(Path.GetFileNameWithoutExtension(html))}</figcaption></figure>\n");
            }
        }
        string results = Path.Combine(outDir, "results");
        var files = Directory.Exists(results)
            ? Directory.GetFiles(results, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
        h.Append("<h2>Result tables</h2>\n");
        if (files.Count == 0) h.Append("<p>No result files were written.</p>\n");
        else
        {
            h.Append("<ul>\n");
            foreach (var f in files) h.Append($"<li><a href=\"{Link(f)}\">{E(Path.GetRelativePath(results, f))}</a> ({new FileInfo(f).Length:N0} bytes)</li>\n");
            h.Append("</ul>\n");
        }
        h.Append("</body>\n</html>\n");
        string path = Path.Combine(outDir, "index.html");
        AtomicFile.WriteAllText(path, h.ToString());
        return path;
    }
}
