using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>
/// Charts of effects with uncertainty: LLC before / during / after an intervention with error bars,
/// ΔLLC against parameter count, grouped bars. Points that failed validity (<see cref="Series.Valid"/>) are drawn as grey
/// open markers and the chart says so in a note; <c>errorNote</c> states what the error bars are (see <see cref="ErrorBars.Note"/>).
/// </summary>
public static class EffectCharts
{
    /// <summary>
    /// Lines with markers and error bars, one per series (e.g. λ̂ vs erasure strength t for
    /// "inserted", "folded", "folded + fine-tuned"). A line breaks at a point that failed validity.
    /// </summary>
    public static GenericChart Lines(IEnumerable<Series> series, string title, string xTitle, string yTitle, bool logX = false,
        string? errorNote = null) =>
        Draw(Check(series), lines: true, title, xTitle, yTitle, logX, zeroLine: false, errorNote);

    /// <summary>
    /// Markers with error bars (no connecting lines), e.g. ΔLLC vs parameter count with <paramref name="logX"/> = true.
    /// Point labels are printed only when the chart has at most <see cref="ChartStyle.MaxPrintedLabels"/> labelled
    /// points; otherwise they are in the hover text. <c>labelsInHover</c> keeps them in the hover text however sparse the chart
    /// (for series whose points share x positions, e.g. λ̂ before and after at the same parameter count, where printed labels would overlap).
    /// </summary>
    public static GenericChart Scatter(IEnumerable<Series> series, string title, string xTitle, string yTitle,
        bool logX = false, bool zeroLine = false, string? errorNote = null, bool labelsInHover = false) =>
        Draw(Check(series), lines: false, title, xTitle, yTitle, logX, zeroLine, errorNote, hoverOnlyLabels: labelsInHover);

    /// <summary>
    /// "Before / during / after": one line of stages per series (x = stage names in order) with error bars;
    /// the typical RQ1 figure. Stages that failed validity are grey open markers.
    /// </summary>
    public static GenericChart Stages(IEnumerable<BarSeries> series, string title, string yTitle = "λ̂", string? errorNote = null)
    {
        var s = CheckBars(series);
        var legend = new PointTraces.InvalidLegend();
        var style = new PointTraces.Style(Lines: true, PrintLabels: false, "stage", yTitle);
        var charts = s.SelectMany((q, k) => PointTraces.Draw(q.Name, q.Categories.Cast<object>().ToArray(), q.Values, q.Error, null, q.Valid,
            ChartStyle.ColorOf(k), style, legend)).ToList();
        return Finish(ChartStyle.Combine(charts).WithTitles(title, "stage", yTitle), legend.Shown, errorNote);
    }

    /// <summary>Grouped bars (one colour per series, bars side by side per category) with error bars; bars that failed
    /// validity are open grey outlines.</summary>
    public static GenericChart GroupedBars(IEnumerable<BarSeries> series, string title, string yTitle, string xTitle = "", string? errorNote = null)
    {
        var s = CheckBars(series);
        var charts = s.Select((q, k) => PointTraces.Bars(q, ChartStyle.ColorOf(k), yTitle)).ToList();
        bool anyInvalid = s.Any(q => q.Valid is not null && q.Valid.Any(v => !v));
        // plotly.js draws several bar traces side by side by default (layout.barmode = "group").
        var chart = ChartStyle.Combine(charts).WithTitles(title, xTitle, yTitle);
        if (anyInvalid) chart = chart.WithNote(ChartStyle.InvalidBarNote);
        return errorNote is null ? chart : chart.WithNote(errorNote);
    }

    /// <summary>The shared drawing of <see cref="Lines"/> and <see cref="Scatter"/>.</summary>
    internal static GenericChart Draw(Series[] s, bool lines, string title, string xTitle, string yTitle, bool logX, bool zeroLine, string? errorNote,
        IEnumerable<GenericChart>? extra = null, bool hoverOnlyLabels = false)
    {
        var labelled = s.Where(q => q.Labels is not null).SelectMany(q => q.X.Zip(q.Y)).ToList();
        var style = new PointTraces.Style(lines, !hoverOnlyLabels && PointTraces.Sparse(labelled, logX), xTitle, yTitle);
        var legend = new PointTraces.InvalidLegend();
        var charts = new List<GenericChart>();
        if (zeroLine)
        {
            double lo = s.SelectMany(q => q.X).Min(), hi = s.SelectMany(q => q.X).Max();
            charts.Add(CChart.Line<double, double, string>(new[] { lo, hi }, new[] { 0.0, 0.0 }, Name: "0",
                ShowLegend: false, LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray")).SetOnTraces("hoverinfo", "skip"));
        }
        for (int k = 0; k < s.Length; k++)
            charts.AddRange(PointTraces.Draw(s[k].Name, s[k].X.Cast<object>().ToArray(), s[k].Y, s[k].Error, s[k].Labels, s[k].Valid,
                ChartStyle.ColorOf(k), style, legend));
        if (extra is not null) charts.AddRange(extra);
        return Finish(ChartStyle.Combine(charts).WithTitles(title, xTitle, yTitle, logX), legend.Shown, errorNote);
    }

    internal static GenericChart Finish(GenericChart chart, bool anyInvalid, string? errorNote)
    {
        if (anyInvalid) chart = chart.WithNote(ChartStyle.InvalidNote);
        return errorNote is null ? chart : chart.WithNote(errorNote);
    }

    internal static Series[] Check(IEnumerable<Series> series)
    {
        var s = series?.ToArray() ?? throw new ArgumentNullException(nameof(series));
        if (s.Length == 0) throw new ArgumentException("No series to plot: pass at least one Series.", nameof(series));
        foreach (var q in s) q.Validate();
        return s;
    }

    private static BarSeries[] CheckBars(IEnumerable<BarSeries> series)
    {
        var s = series?.ToArray() ?? throw new ArgumentNullException(nameof(series));
        if (s.Length == 0) throw new ArgumentException("No bar series to plot.", nameof(series));
        foreach (var q in s) q.Validate();
        return s;
    }
}
