using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>Builds and renders one tiny chart, to prove Plotly.NET works in this process (see <c>Runtime.FSharpCoreBridge.Check</c>).</summary>
public static class ChartHtmlProbe
{
    /// <summary>
    /// True when a two-point line chart, styled through an F#-typed API as the suite's charts are
    /// (<c>Chart.withTitle</c> returns an <c>FSharpFunc</c>), renders to HTML; throws the loader's
    /// exception when LlcLab and Plotly.NET do not share one FSharp.Core.
    /// </summary>
    public static bool Render()
    {
        var chart = CChart.Line<double, double, string>(new[] { 0.0, 1.0 }, new[] { 0.0, 1.0 });
        chart = Chart.withTitle("probe", null).Invoke(chart);
        return GenericChart.toChartHTML(chart).Contains("Plotly.newPlot", StringComparison.Ordinal);
    }
}
