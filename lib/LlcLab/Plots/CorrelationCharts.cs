using System.Globalization;
using Plotly.NET;
using LlcLab.Analysis;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>A correlation coefficient with its confidence interval, shown in a chart's title.</summary>
/// <param name="Name">e.g. "Pearson r" or "Spearman ρ".</param>
/// <param name="Estimate">The coefficient.</param>
/// <param name="Low">Lower end of the confidence interval.</param>
/// <param name="High">Upper end of the confidence interval.</param>
/// <param name="Level">Confidence level, e.g. 0.95.</param>
public sealed record CorrelationLabel(string Name, double Estimate, double Low, double High, double Level = 0.95)
{
    /// <summary>"Pearson r = 0.81 [0.52, 0.93] (95% CI)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} = {Estimate:F2} [{Low:F2}, {High:F2}] ({Level:P0} CI)");
}

/// <summary>Scatter plots for "does metric A track metric B?".</summary>
public static class CorrelationCharts
{
    /// <summary>
    /// Scatter of <paramref name="y"/> against <paramref name="x"/> (optionally labelled per point — printed when there are at
    /// most <see cref="ChartStyle.MaxPrintedLabels"/> points, otherwise in the hover text — and with y error bars), the
    /// least-squares line y = a + b·x, and the correlation with its CI in the title. Points whose <paramref name="valid"/>
    /// flag is false are drawn as grey open markers and left out of the fit (the caller's correlation should leave them out too).
    /// </summary>
    public static GenericChart ScatterWithFit(IReadOnlyList<double> x, IReadOnlyList<double> y, string xTitle, string yTitle,
        CorrelationLabel? correlation = null, IReadOnlyList<string>? labels = null, IReadOnlyList<double>? yError = null,
        string? title = null, IReadOnlyList<bool>? valid = null, string? errorNote = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var series = new Series("runs", x, y, yError, labels, valid);
        series.Validate();
        if (x.Count < 2) throw new ArgumentException("A correlation scatter needs at least two points.", nameof(x));
        var keep = Enumerable.Range(0, x.Count).Where(i => valid is null || valid[i]).ToArray();
        var extra = new List<GenericChart>();
        var (a, b) = keep.Length >= 2 ? LeastSquares(keep.Select(i => x[i]).ToArray(), keep.Select(i => y[i]).ToArray()) : (double.NaN, double.NaN);
        if (double.IsFinite(a) && double.IsFinite(b))
        {
            double lo = keep.Min(i => x[i]), hi = keep.Max(i => x[i]);
            extra.Add(CChart.Line<double, double, string>(new[] { lo, hi }, new[] { a + b * lo, a + b * hi },
                Name: string.Create(CultureInfo.InvariantCulture, $"fit: y = {a:G3} {(b < 0 ? "−" : "+")} {Math.Abs(b):G3}·x"), LineDash: StyleParam.DrawingStyle.Dash,
                LineColor: Color.fromString("#444")).SetOnTraces("hoverinfo", "skip"));
        }
        string t = title ?? $"{yTitle} vs {xTitle}";
        if (correlation is not null) t += "<br><sub>" + correlation + $", n = {keep.Length}</sub>";
        var chart = EffectCharts.Draw(new[] { series }, lines: false, t, xTitle, yTitle, logX: false, zeroLine: false, errorNote, extra);
        return keep.Length < x.Count ? chart.WithNote("fit over the valid points only") : chart;
    }

    /// <summary>Ordinary least squares intercept and slope; NaN when x has no variance.</summary>
    internal static (double Intercept, double Slope) LeastSquares(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxx = 0, sxy = 0;
        for (int i = 0; i < x.Count; i++) { sxx += (x[i] - mx) * (x[i] - mx); sxy += (x[i] - mx) * (y[i] - my); }
        if (sxx == 0) return (double.NaN, double.NaN);
        double b = sxy / sxx;
        return (my - b * mx, b);
    }
}

/// <summary>Conversions from the experiments' statistics records.</summary>
public static class CorrelationLabels
{
    /// <summary>A chart label for a <see cref="LlcLab.Analysis.Correlation"/>.</summary>
    public static CorrelationLabel ToLabel(this LlcLab.Analysis.Correlation c) =>
        new(c.Method == "spearman" ? "Spearman ρ" : "Pearson r", c.R, c.Low, c.High, c.Level);
}
