using System.Reflection;
using Plotly.NET;

namespace LlcLab.Notebooks.Export;

/// <summary>
/// plotly.js for offline pages, taken from the copy Plotly.NET 6 embeds as a manifest resource
/// (<c>Plotly.NET.plotly-2.28.0.min.js</c>): the version the notebooks' <c>#r "nuget: Plotly.NET, 6.0.0"</c>
/// targets. Executed notebooks carry it once (<see cref="NotebookLibraryOutput"/>), standalone chart
/// files each carry one copy.
/// </summary>
public static class PlotlyJs
{
    static readonly Lazy<(string Version, string Script)> Loaded = new(Load);

    /// <summary>The plotly.js version (e.g. 2.28.0).</summary>
    public static string Version => Loaded.Value.Version;

    /// <summary>The full minified plotly.js source.</summary>
    public static string Source => Loaded.Value.Script;

    /// <summary>Marker of the one notebook output that carries plotly.js.</summary>
    public const string LibraryMarker = "llclab-plotly-js";

    /// <summary>
    /// The <c>text/html</c> output holding plotly.js, put once per notebook on its first code cell.
    /// The UMD wrapper's <c>define</c>/<c>module</c> are hidden so it always sets <c>window.Plotly</c>
    /// (also where require.js is loaded); a chart output that renders first waits for it.
    /// </summary>
    public static string NotebookLibraryOutput() =>
        $"<div class=\"{LibraryMarker}\" style=\"display:none\">plotly.js {Version} for the charts of this notebook (offline)</div>\n" +
        "<script type=\"text/javascript\">(function(){if (typeof window.Plotly === 'undefined') { var define = undefined, exports = undefined, module = undefined;\n"
        + Source +
        "\n}})();</script>";

    static (string, string) Load()
    {
        var asm = typeof(GenericChart).Assembly;
        string name = asm.GetManifestResourceNames()
            .FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Plotly.NET does not embed plotly.js (expected a resource Plotly.NET.plotly-*.min.js); cannot write offline charts.");
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return (name["Plotly.NET.plotly-".Length..^".min.js".Length], r.ReadToEnd());
    }
}
