using LlcLab.Notebooks.Shared;
using System.Net;
using System.Text;
using LlcLab.Notebooks.Format;
using Markdig;
using Microsoft.DotNet.Interactive.Documents;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// A static, offline HTML page of an executed notebook (for reading results without VS Code):
/// markdown cells rendered (Markdig, with pipe tables), code cells as code, outputs as the kernel
/// returned them. plotly.js is included once in the page head.
/// </summary>
public static class NotebookHtml
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().UseAutoLinks().Build();

    /// <param name="nb">The executed notebook.</param>
    /// <param name="injectedIndex">Index of the injected parameters cell, or -1.</param>
    /// <param name="title">Page title.</param>
    public static string Render(InteractiveDocument nb, int injectedIndex, string title)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        var body = new StringBuilder();
        bool hasChart = false;
        int cellNumber = 0;
        for (int i = 0; i < nb.Elements.Count; i++)
        {
            var cell = nb.Elements[i];
            bool injected = i == injectedIndex;
            if (!injected) cellNumber++;
            if (!cell.IsCode())
            {
                body.Append("<section class=\"md\">").Append(Markdown.ToHtml(cell.Contents, Pipeline)).Append("</section>\n");
                continue;
            }
            string label = injected ? "injected parameters" : $"cell {cellNumber}";
            body.Append($"<section class=\"code\"><div class=\"label\">{E(label)}{(cell.ExecutionOrder > 0 ? $" [{cell.ExecutionOrder}]" : "")}</div>");
            body.Append("<pre class=\"src\"><code>").Append(E(cell.Contents)).Append("</code></pre>\n");
            foreach (var o in cell.Outputs)
            {
                switch (o)
                {
                    case TextElement t:
                        body.Append($"<pre class=\"{(t.Name == "stderr" ? "stderr" : "stdout")}\">").Append(E(t.Text)).Append("</pre>\n");
                        break;
                    case DisplayElement or ReturnValueElement:
                        var data = o is DisplayElement d ? d.Data : ((ReturnValueElement)o).Data;
                        if (data.TryGetValue("text/html", out var html) && html?.ToString() is { } h)
                        {
                            if (h.Contains(PlotlyJs.LibraryMarker, StringComparison.Ordinal)) { hasChart = true; break; } // the page head carries plotly.js
                            body.Append("<div class=\"out\">").Append(h).Append("</div>\n");
                        }
                        else if (data.TryGetValue("text/plain", out var text)) body.Append("<pre class=\"out\">").Append(E(text?.ToString() ?? "")).Append("</pre>\n");
                        break;
                    case ErrorElement err:
                        body.Append("<pre class=\"error\">").Append(E(err.ErrorName + ": " + err.ErrorValue + "\n" + string.Join("\n", err.StackTrace ?? []))).Append("</pre>\n");
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
        if (hasChart) page.Append("<script type=\"text/javascript\">").Append(PlotlyJs.Source).Append("</script>\n");
        page.Append("</head>\n<body>\n").Append(body).Append("</body>\n</html>\n");
        return page.ToString();
    }

    /// <summary>Writes <see cref="Render"/> atomically.</summary>
    public static void Write(InteractiveDocument nb, int injectedIndex, string path, string title)
    {
        AtomicFile.WriteAllText(path, Render(nb, injectedIndex, title));
    }
}
