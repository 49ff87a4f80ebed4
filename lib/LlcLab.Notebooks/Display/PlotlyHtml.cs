using System.Net;
using System.Reflection;
using Plotly.NET;

namespace LlcLab.Notebooks.Display;

/// <summary>
/// Offline HTML for Plotly.NET charts. plotly.js is taken from the copy Plotly.NET 6 embeds as a
/// manifest resource (<c>Plotly.NET.plotly-2.28.0.min.js</c>, the same file
/// <c>PlotlyJSReference.Full</c> inlines), so nothing is fetched from a CDN: a saved notebook or
/// chart file renders without a network.
/// </summary>
public static class PlotlyHtml
{
    static readonly Lazy<(string Version, string Script)> PlotlyJs = new(LoadPlotlyJs);

    /// <summary>The plotly.js version carried by Plotly.NET (e.g. 2.28.0).</summary>
    public static string PlotlyJsVersion => PlotlyJs.Value.Version;

    /// <summary>The full plotly.js source.</summary>
    public static string PlotlyJsSource => PlotlyJs.Value.Script;

    /// <summary>True for Plotly.NET's <c>GenericChart</c> (from any load context: matched by type name).</summary>
    public static bool IsChart(object? value)
    {
        for (var t = value?.GetType(); t is not null; t = t.BaseType)
            if (t.FullName == "Plotly.NET.GenericChart") return true;
        return false;
    }

    /// <summary>The chart's <c>&lt;div&gt;</c> + <c>Plotly.newPlot</c> script, without plotly.js (Plotly.NET's <c>toChartHTML</c>).</summary>
    public static string ChartDiv(object chart)
    {
        if (chart is GenericChart g) return GenericChart.toChartHTML(g);
        // A GenericChart from another copy of Plotly.NET: call its own toChartHTML.
        var type = chart.GetType();
        while (type!.FullName != "Plotly.NET.GenericChart") type = type.BaseType!;
        var m = type.GetMethod("toChartHTML", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException("This Plotly.NET version has no GenericChart.toChartHTML.");
        return (string)m.Invoke(null, [chart])!;
    }

    /// <summary>
    /// A fragment for a notebook output: plotly.js inlined (run once per page; the UMD loader's
    /// <c>define</c>/<c>module</c> are hidden so it always sets <c>window.Plotly</c>, also where require.js
    /// is present) followed by the chart.
    /// </summary>
    public static string NotebookFragment(object chart) =>
        "<div>\n" + EmbeddedScriptStart + PlotlyJsSource + EmbeddedScriptEnd + "\n" + ChartDiv(chart) + "\n</div>";

    /// <summary>Start of the guarded plotly.js script in notebook outputs (pages that load plotly.js once can strip it).</summary>
    public const string EmbeddedScriptStart =
        "<script type=\"text/javascript\">(function(){if (typeof window.Plotly !== 'undefined') return; var define = undefined, exports = undefined, module = undefined;\n";

    /// <summary>End of the guarded plotly.js script.</summary>
    public const string EmbeddedScriptEnd = "\n})();</script>";

    /// <summary>A standalone, offline HTML document showing the chart.</summary>
    /// <param name="chart">A Plotly.NET GenericChart.</param>
    /// <param name="title">The page title.</param>
    /// <param name="staticFigure">Hide Plotly's toolbar (for screenshots).</param>
    public static string StandaloneDocument(object chart, string title, bool staticFigure = false) =>
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + WebUtility.HtmlEncode(title) + "</title>\n"
        + (staticFigure ? "<style>.modebar-container{display:none !important}</style>\n" : "")
        + "<script type=\"text/javascript\">" + PlotlyJsSource + "</script>\n</head>\n<body>\n"
        + ChartDiv(chart) + "\n</body>\n</html>\n";

    static (string, string) LoadPlotlyJs()
    {
        var asm = typeof(GenericChart).Assembly;
        string name = asm.GetManifestResourceNames()
            .FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Plotly.NET does not embed plotly.js (expected a resource Plotly.NET.plotly-*.min.js); cannot write offline charts.");
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        string version = name["Plotly.NET.plotly-".Length..^".min.js".Length];
        return (version, r.ReadToEnd());
    }
}
