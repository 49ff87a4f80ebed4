using Microsoft.FSharp.Core;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// Small helpers over Plotly.NET's F# styling functions (whose optional arguments C# must pass
/// positionally): titles, axis titles, log axes, error bars, layout size.
/// </summary>
public static class ChartStyle
{
    internal static FSharpOption<T> Some<T>(T value) => FSharpOption<T>.Some(value);

    /// <summary>Sets the chart title and the x/y axis titles; <paramref name="logX"/>/<paramref name="logY"/> switch to log axes.</summary>
    public static GenericChart WithTitles(this GenericChart chart, string title, string? xTitle = null, string? yTitle = null,
        bool logX = false, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(chart);
        chart = Chart.withTitle(title, null).Invoke(chart);
        if (xTitle is not null || logX) chart = XAxis(chart, xTitle, logX);
        if (yTitle is not null || logY) chart = YAxis(chart, yTitle, logY);
        return chart;
    }

    /// <summary>Sets the layout size in pixels.</summary>
    public static GenericChart WithPixelSize(this GenericChart chart, int width, int height) =>
        Chart.withSize(Some(width), Some(height)).Invoke(chart);

    /// <summary>Adds symmetric y error bars (one half-width per point) to every trace of <paramref name="chart"/>.</summary>
    public static GenericChart WithYErrors(this GenericChart chart, IEnumerable<double> halfWidths) =>
        Chart.withYErrorStyle<double, double>(Some(true), null, Some(true), Some(halfWidths), null,
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Adds symmetric x error bars to every trace of <paramref name="chart"/>.</summary>
    public static GenericChart WithXErrors(this GenericChart chart, IEnumerable<double> halfWidths) =>
        Chart.withXErrorStyle<double, double>(Some(true), null, Some(true), Some(halfWidths), null,
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Adds asymmetric y error bars (distance above and below each point).</summary>
    public static GenericChart WithYErrors(this GenericChart chart, IEnumerable<double> above, IEnumerable<double> below) =>
        Chart.withYErrorStyle<double, double>(Some(true), null, Some(false), Some(above), Some(below),
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Combines charts into one figure (traces overlaid on shared axes).</summary>
    public static GenericChart Combine(params GenericChart[] charts) => Plotly.NET.CSharp.Chart.Combine(charts);

    /// <summary>Combines charts into one figure (traces overlaid on shared axes).</summary>
    public static GenericChart Combine(IEnumerable<GenericChart> charts) => Plotly.NET.CSharp.Chart.Combine(charts);

    private static GenericChart XAxis(GenericChart chart, string? title, bool log) =>
        Chart.withXAxisStyle<double, double, string>(title is null ? null : Some(title), null, null, null, null,
            log ? Some(StyleParam.AxisType.Log) : null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).Invoke(chart);

    private static GenericChart YAxis(GenericChart chart, string? title, bool log) =>
        Chart.withYAxisStyle<double, double, string>(title is null ? null : Some(title), null, null, null, null,
            log ? Some(StyleParam.AxisType.Log) : null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).Invoke(chart);

    internal static void RequireSameLength(string what, int expected, int actual, string paramName)
    {
        if (expected != actual)
            throw new ArgumentException($"{what}: expected {expected} values to match the x values but got {actual}; pass one value per point.", paramName);
    }
}
