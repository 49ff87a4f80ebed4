using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// A Plotly chart as the kernel returned it: the <c>data</c>, <c>layout</c> and <c>config</c> JSON that
/// Plotly.NET.Interactive writes into its <c>text/html</c> output (a <c>Plotly.newPlot(id, data, layout,
/// config)</c> call, loading plotly.js from a CDN through require.js). The executor re-renders these
/// offline: in the executed notebook, in standalone HTML files and as PNG/SVG.
/// </summary>
public sealed partial record PlotlyChart(string Id, string Data, string Layout, string Config)
{
    [GeneratedRegex(@"var\s+data\s*=\s*(?<data>\[.*?\]);\s*var\s+layout\s*=\s*(?<layout>\{.*?\});\s*var\s+config\s*=\s*(?<config>\{.*?\});\s*Plotly\.newPlot\(\s*'(?<id>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex NewPlotCall();

    /// <summary>The chart in a kernel <c>text/html</c> output, or null when the output holds no Plotly chart.</summary>
    public static PlotlyChart? TryParse(string html)
    {
        if (!html.Contains("Plotly.newPlot", StringComparison.Ordinal)) return null;
        var m = NewPlotCall().Match(html);
        if (!m.Success) return null;
        // Only accept what parses as JSON: a chart that cannot be re-drawn is left as the kernel wrote it.
        try
        {
            JsonNode.Parse(m.Groups["data"].Value);
            JsonNode.Parse(m.Groups["layout"].Value);
            JsonNode.Parse(m.Groups["config"].Value);
        }
        catch (System.Text.Json.JsonException) { return null; }
        return new PlotlyChart(m.Groups["id"].Value, m.Groups["data"].Value, m.Groups["layout"].Value, m.Groups["config"].Value);
    }

    /// <summary>The layout's title text, when it has one (for file names and captions).</summary>
    public string? Title
    {
        get
        {
            var t = JsonNode.Parse(Layout)?["title"];
            return t is JsonValue v && v.TryGetValue<string>(out var s) ? s : t?["text"]?.GetValue<string>();
        }
    }

    /// <summary>
    /// The chart for a notebook output: a div and a script that draws it with the page's plotly.js
    /// (<see cref="PlotlyJs.NotebookLibraryOutput"/>, included once per notebook). It waits for plotly.js
    /// when it renders first, so output order does not matter.
    /// </summary>
    public string NotebookOutputHtml() =>
        $"<div id=\"{WebUtility.HtmlEncode(Id)}\" class=\"llclab-chart\"></div>\n" +
        "<script type=\"text/javascript\">(function(){var draw=function(){window.Plotly.newPlot('" + Id + "'," + Data + "," + Layout + "," + Config + ");};" +
        "if(window.Plotly){draw();}else{var n=0,t=setInterval(function(){if(window.Plotly||++n>600){clearInterval(t);if(window.Plotly)draw();}},100);}})();</script>";

    /// <summary>A standalone offline HTML page showing the chart (plotly.js inlined).</summary>
    /// <param name="title">Page title.</param>
    /// <param name="figure">Static figure for export: fixed <paramref name="width"/>×<paramref name="height"/> CSS px, no toolbar.</param>
    public string StandaloneDocument(string title, bool figure = false, int width = ExportSize.Width, int height = ExportSize.Height)
    {
        string layout = figure ? WithSize(Layout, width, height) : Layout;
        string config = figure ? "{\"staticPlot\":false,\"displayModeBar\":false,\"responsive\":false}" : Config;
        return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + WebUtility.HtmlEncode(title) + "</title>\n"
            + "<style>html,body{margin:0;padding:0;background:#fff}</style>\n"
            + "<script type=\"text/javascript\">" + PlotlyJs.Source + "</script>\n</head>\n<body>\n"
            + $"<div id=\"chart\" style=\"{(figure ? $"width:{width}px;height:{height}px" : "width:100%;height:90vh")}\"></div>\n"
            + "<script type=\"text/javascript\">var gd=document.getElementById('chart');window.llclabDrawn=Plotly.newPlot(gd," + Data + "," + layout + "," + config + ");</script>\n"
            + "</body>\n</html>\n";
    }

    /// <summary>The layout with an explicit size (the export size) and autosize off.</summary>
    static string WithSize(string layout, int width, int height)
    {
        var node = JsonNode.Parse(layout)!.AsObject();
        node["width"] = width;
        node["height"] = height;
        node["autosize"] = false;
        return node.ToJsonString();
    }
}

/// <summary>The size every exported figure has: 960×600 CSS px, PNG at scale 2 (1920×1200 pixels); SVG at 960×600.</summary>
public static class ExportSize
{
    public const int Width = 960;
    public const int Height = 600;
    public const int PngScale = 2;
}
