using MathNet.Numerics.Distributions;
using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>One ground-truth check: a model whose true learning coefficient λ is known, and the estimate.</summary>
/// <param name="Label">Model name, e.g. "dln 5-3-5 rank 2".</param>
/// <param name="TrueLambda">The theoretical λ (d/2 for regular models; Aoyagi's formula for deep linear networks).</param>
/// <param name="Estimate">Mean λ̂ across chains.</param>
/// <param name="Std">Standard deviation of λ̂ across chains.</param>
/// <param name="Valid">False when the estimate failed validity (not at a minimum, R̂ or MALA out of range): drawn as a grey open marker.</param>
/// <param name="Chains">Number of chains behind <see cref="Estimate"/> (needed for a CI error bar; 0 = unknown).</param>
public sealed record GroundTruthPoint(string Label, double TrueLambda, double Estimate, double Std, bool Valid = true, int Chains = 0)
{
    /// <summary>Error half-width: Std, or the Student-t CI half-width t_{(1+level)/2, n−1}·Std/√n over the chains (0 when n &lt; 2).</summary>
    public double HalfWidth(ErrorBar kind, double level = 0.95) => kind == ErrorBar.Std ? Std
        : Chains < 2 ? 0 : StudentT.InvCDF(0, 1, Chains - 1, (1 + level) / 2) * Std / Math.Sqrt(Chains);
}

/// <summary>Charts that compare estimates with known truths.</summary>
public static class ValidationCharts
{
    /// <summary>
    /// Estimated vs true λ: one marker per model with error bars (± std over chains, or the 95 % t-interval over chains
    /// with <paramref name="error"/> = <see cref="ErrorBar.Ci"/>), the line y = x (a perfect estimator) and, when
    /// <paramref name="relativeTolerance"/> &gt; 0, the band y = (1 ± tol)·x. Model names are in the hover text (printed
    /// only for a few models); estimates that failed validity are grey open markers.
    /// </summary>
    public static GenericChart EstimatedVsTrue(IEnumerable<GroundTruthPoint> points, double relativeTolerance = 0.15,
        string title = "Estimated vs true learning coefficient", ErrorBar error = ErrorBar.Std)
    {
        ArgumentNullException.ThrowIfNull(points);
        var p = points.ToArray();
        if (p.Length == 0) throw new ArgumentException("No points to plot: pass at least one GroundTruthPoint.", nameof(points));
        if (error == ErrorBar.Ci && p.Any(q => q.Chains < 2))
            throw new ArgumentException("A CI error bar needs the number of chains: set GroundTruthPoint.Chains (≥ 2) or pass error: ErrorBar.Std.", nameof(points));
        var half = p.Select(q => q.HalfWidth(error)).ToArray();
        double hi = p.Select((q, i) => Math.Max(q.TrueLambda, q.Estimate + half[i])).Max() * 1.08;
        double lo = Math.Min(0, p.Select((q, i) => Math.Min(q.TrueLambda, q.Estimate - half[i])).Min());
        var refs = new List<GenericChart>
        {
            CChart.Line<double, double, string>(new[] { lo, hi }, new[] { lo, hi }, Name: "y = x",
                LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray")),
        };
        if (relativeTolerance > 0)
        {
            refs.Add(CChart.Line<double, double, string>(new[] { 0, hi }, new[] { 0, hi * (1 + relativeTolerance) },
                Name: $"±{relativeTolerance:P0}", LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("lightgray")));
            refs.Add(CChart.Line<double, double, string>(new[] { 0, hi }, new[] { 0, hi * (1 - relativeTolerance) },
                Name: $"-{relativeTolerance:P0}", ShowLegend: false, LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("lightgray")));
        }
        var refsStyled = refs.Select(r => r.SetOnTraces("hoverinfo", "skip"));
        var series = new Series(error == ErrorBar.Ci ? "λ̂ (95 % CI over chains)" : "λ̂ ± std over chains",
            p.Select(q => q.TrueLambda).ToArray(), p.Select(q => q.Estimate).ToArray(), half, p.Select(q => q.Label).ToArray(),
            p.All(q => q.Valid) ? null : p.Select(q => q.Valid).ToArray());
        // Reference lines first (drawn underneath), the estimates last.
        var markers = EffectCharts.Draw(new[] { series }, lines: false, title, "true λ", "estimated λ̂", logX: false, zeroLine: false,
            ErrorBars.Note(error, "chains"));
        return ChartStyle.Combine(refsStyled.Append(markers)).WithTitles(title, "true λ", "estimated λ̂");
    }
}
