using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>One ground-truth check: a model whose true learning coefficient λ is known, and the estimate.</summary>
/// <param name="Label">Model name, e.g. "dln 5-3-5 rank 2".</param>
/// <param name="TrueLambda">The theoretical λ (d/2 for regular models; Aoyagi's formula for deep linear networks).</param>
/// <param name="Estimate">Mean λ̂ across chains.</param>
/// <param name="Std">Standard deviation of λ̂ across chains (drawn as an error bar).</param>
public sealed record GroundTruthPoint(string Label, double TrueLambda, double Estimate, double Std);

/// <summary>Charts that compare estimates with known truths.</summary>
public static class ValidationCharts
{
    /// <summary>
    /// Estimated vs true λ: one marker per model with ±std error bars, the line y = x (a perfect
    /// estimator) and, when <paramref name="relativeTolerance"/> &gt; 0, the band y = (1 ± tol)·x.
    /// </summary>
    public static GenericChart EstimatedVsTrue(IEnumerable<GroundTruthPoint> points, double relativeTolerance = 0.15,
        string title = "Estimated vs true learning coefficient")
    {
        ArgumentNullException.ThrowIfNull(points);
        var p = points.ToArray();
        if (p.Length == 0) throw new ArgumentException("No points to plot: pass at least one GroundTruthPoint.", nameof(points));
        double hi = p.Max(q => Math.Max(q.TrueLambda, q.Estimate + q.Std)) * 1.08;
        double lo = Math.Min(0, p.Min(q => Math.Min(q.TrueLambda, q.Estimate - q.Std)));
        var charts = new List<GenericChart>
        {
            CChart.Line<double, double, string>(new[] { lo, hi }, new[] { lo, hi }, Name: "y = x",
                LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray")),
        };
        if (relativeTolerance > 0)
        {
            charts.Add(CChart.Line<double, double, string>(new[] { 0, hi }, new[] { 0, hi * (1 + relativeTolerance) },
                Name: $"±{relativeTolerance:P0}", LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("lightgray")));
            charts.Add(CChart.Line<double, double, string>(new[] { 0, hi }, new[] { 0, hi * (1 - relativeTolerance) },
                Name: $"-{relativeTolerance:P0}", ShowLegend: false, LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("lightgray")));
        }
        charts.Add(CChart.Point<double, double, string>(p.Select(q => q.TrueLambda), p.Select(q => q.Estimate),
                Name: "λ̂ ± std", MultiText: p.Select(q => q.Label).ToArray(), TextPosition: StyleParam.TextPosition.TopCenter)
            .WithYErrors(p.Select(q => q.Std)));
        return ChartStyle.Combine(charts).WithTitles(title, "true λ", "estimated λ̂");
    }
}
