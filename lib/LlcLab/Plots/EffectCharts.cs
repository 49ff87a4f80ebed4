using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>
/// Charts of effects with uncertainty: LLC before / during / after an intervention with error bars,
/// ΔLLC against parameter count, grouped bars.
/// </summary>
public static class EffectCharts
{
    /// <summary>
    /// Lines with markers and ±error bars, one per series (e.g. λ̂ vs erasure strength t for
    /// "inserted", "folded", "folded + fine-tuned").
    /// </summary>
    public static GenericChart Lines(IEnumerable<Series> series, string title, string xTitle, string yTitle, bool logX = false)
    {
        var s = Check(series);
        var charts = s.Select(q =>
        {
            var c = CChart.Line<double, double, string>(q.X, q.Y, ShowMarkers: true, Name: q.Name,
                MultiText: q.Labels?.ToArray() ?? default(Plotly.NET.CSharp.Optional<IEnumerable<string>>));
            return q.Error is null ? c : c.WithYErrors(q.Error);
        });
        return ChartStyle.Combine(charts).WithTitles(title, xTitle, yTitle, logX);
    }

    /// <summary>
    /// Markers with ±error bars (no connecting lines), optionally labelled, e.g. ΔLLC vs parameter
    /// count with <paramref name="logX"/> = true.
    /// </summary>
    public static GenericChart Scatter(IEnumerable<Series> series, string title, string xTitle, string yTitle,
        bool logX = false, bool zeroLine = false)
    {
        var s = Check(series);
        var charts = s.Select(q =>
        {
            var c = q.Labels is null
                ? CChart.Point<double, double, string>(q.X, q.Y, Name: q.Name)
                : CChart.Point<double, double, string>(q.X, q.Y, Name: q.Name, MultiText: q.Labels.ToArray(), TextPosition: StyleParam.TextPosition.TopCenter);
            return q.Error is null ? c : c.WithYErrors(q.Error);
        }).ToList();
        if (zeroLine)
        {
            double lo = s.SelectMany(q => q.X).Min(), hi = s.SelectMany(q => q.X).Max();
            charts.Insert(0, CChart.Line<double, double, string>(new[] { lo, hi }, new[] { 0.0, 0.0 }, Name: "0",
                ShowLegend: false, LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray")));
        }
        return ChartStyle.Combine(charts).WithTitles(title, xTitle, yTitle, logX);
    }

    /// <summary>
    /// "Before / during / after": one series of stages (x = stage index, tick labels = stage names)
    /// with ±error bars per series; the typical RQ1 figure.
    /// </summary>
    public static GenericChart Stages(IEnumerable<BarSeries> series, string title, string yTitle = "λ̂")
    {
        var s = series?.ToArray() ?? throw new ArgumentNullException(nameof(series));
        if (s.Length == 0) throw new ArgumentException("No series to plot.", nameof(series));
        foreach (var q in s) q.Validate();
        var charts = s.Select(q =>
        {
            var c = CChart.Line<string, double, string>(q.Categories, q.Values, ShowMarkers: true, Name: q.Name);
            return q.Error is null ? c : c.WithYErrors(q.Error);
        });
        return ChartStyle.Combine(charts).WithTitles(title, "stage", yTitle);
    }

    /// <summary>Grouped bars (one colour per series, bars side by side per category) with ±error bars.</summary>
    public static GenericChart GroupedBars(IEnumerable<BarSeries> series, string title, string yTitle, string xTitle = "")
    {
        var s = series?.ToArray() ?? throw new ArgumentNullException(nameof(series));
        if (s.Length == 0) throw new ArgumentException("No bar series to plot.", nameof(series));
        foreach (var q in s) q.Validate();
        var charts = s.Select(q =>
        {
            var c = CChart.Column<double, string, string>(q.Values, Keys: q.Categories.ToArray(), Name: q.Name);
            return q.Error is null ? c : c.WithYErrors(q.Error);
        });
        // plotly.js draws several bar traces side by side by default (layout.barmode = "group").
        return ChartStyle.Combine(charts).WithTitles(title, xTitle, yTitle);
    }

    private static Series[] Check(IEnumerable<Series> series)
    {
        var s = series?.ToArray() ?? throw new ArgumentNullException(nameof(series));
        if (s.Length == 0) throw new ArgumentException("No series to plot: pass at least one Series.", nameof(series));
        foreach (var q in s) q.Validate();
        return s;
    }
}
