using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlcLab.Notebooks.Display;
using LlcLab.Notebooks.Format;
using Markdig;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// A static, offline HTML page of an executed notebook (for reading results without VS Code):
/// markdown cells rendered (Markdig, with pipe tables), code cells as code, outputs as the kernel
/// showed them. plotly.js is included once in the page head; the copies embedded in each chart
/// output are dropped.
/// </summary>
public static class NotebookHtml
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().UseAutoLinks().Build();

    public static string Render(Notebook nb, string title)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        var body = new StringBuilder();
        bool hasChart = false;
        int cellNumber = 0;
        foreach (var cell in nb.Cells)
        {
            bool injected = cell.Tags.Contains(Execution.NotebookParameters.InjectedTag);
            if (!injected) cellNumber++;
            if (cell.CellType == "markdown")
            {
                body.Append("<section class=\"md\">").Append(Markdown.ToHtml(cell.Source, Pipeline)).Append("</section>\n");
                continue;
            }
            if (!cell.IsCode) continue;
            string label = injected ? "injected parameters" : $"cell {cellNumber}";
            body.Append($"<section class=\"code\"><div class=\"label\">{E(label)}{(cell.ExecutionCount is int n ? $" [{n}]" : "")}</div>");
            body.Append("<pre class=\"src\"><code>").Append(E(cell.Source)).Append("</code></pre>\n");
            foreach (var o in cell.Outputs.OfType<JsonObject>())
            {
                switch (o["output_type"]?.GetValue<string>())
                {
                    case "stream":
                        body.Append($"<pre class=\"{(Text(o["name"]) == "stderr" ? "stderr" : "stdout")}\">").Append(E(Text(o["text"]))).Append("</pre>\n");
                        break;
                    case "display_data" or "execute_result":
                        if (o["data"]?["text/html"] is { } html)
                        {
                            string h = StripEmbeddedPlotly(Text(html), out bool chart);
                            hasChart |= chart;
                            body.Append("<div class=\"out\">").Append(h).Append("</div>\n");
                        }
                        else body.Append("<pre class=\"out\">").Append(E(Text(o["data"]?["text/plain"]))).Append("</pre>\n");
                        break;
                    case "error":
                        body.Append("<pre class=\"error\">").Append(E(string.Join("\n", (o["traceback"] as JsonArray ?? []).Select(Text)))).Append("</pre>\n");
                        break;
                }
            }
            body.Append("</section>\n");
        }
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}")
            .Append("pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}pre.src{border-left:3px solid #4a78c2}")
            .Append("pre.stderr{background:#fff6e5}pre.error{background:#fde8ea;color:#8b0016}.label{color:#777;font-size:.8em}")
            .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}section{margin:1em 0}")
            .Append("</style>\n");
        if (hasChart) page.Append("<script type=\"text/javascript\">").Append(PlotlyHtml.PlotlyJsSource).Append("</script>\n");
        page.Append("</head>\n<body>\n").Append(body).Append("</body>\n</html>\n");
        return page.ToString();
    }

    /// <summary>Writes <see cref="Render"/> atomically.</summary>
    public static void Write(Notebook nb, string path, string title)
    {
        string tmp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, Render(nb, title));
        File.Move(tmp, path, overwrite: true);
    }

    static string StripEmbeddedPlotly(string html, out bool chart)
    {
        int start = html.IndexOf(PlotlyHtml.EmbeddedScriptStart, StringComparison.Ordinal);
        chart = start >= 0;
        if (start < 0) return html;
        int end = html.IndexOf(PlotlyHtml.EmbeddedScriptEnd, start, StringComparison.Ordinal);
        return end < 0 ? html : html[..start] + html[(end + PlotlyHtml.EmbeddedScriptEnd.Length)..];
    }

    static string Text(JsonNode? n) => n switch
    {
        JsonArray a => string.Concat(a.Select(x => x?.GetValue<string>() ?? "")),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };
}
