using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>
/// Charts of an LLC estimate's sampling traces: per-chain running λ̂ and per-draw loss L_B(w_t),
/// the plots Lau et al. (2023) and devinterp use to judge whether SGLD has equilibrated.
/// Inputs are plain arrays laid out [chain][draw] (the <c>LlcTrace</c>/<c>LossTrace</c> of an LLC result).
/// </summary>
public static class SamplerCharts
{
    /// <summary>
    /// Per-chain λ̂ trajectories: draw index vs the per-draw LLC nβ·(L_B(w_t) − L(w*)) of each chain,
    /// plus a dashed line at the overall mean. Flat, overlapping chains indicate a stable estimate;
    /// a trend means the chains have not equilibrated (more burn-in or smaller ε).
    /// </summary>
    public static GenericChart LlcTrajectories(IReadOnlyList<IReadOnlyList<double>> llcTrace, string title = "LLC per draw, by chain")
    {
        Validate(llcTrace, nameof(llcTrace));
        var charts = new List<GenericChart>();
        for (int c = 0; c < llcTrace.Count; c++)
            charts.Add(CChart.Line<int, double, string>(Enumerable.Range(0, llcTrace[c].Count), llcTrace[c], Name: $"chain {c}"));
        double mean = llcTrace.SelectMany(t => t).Average();
        int draws = llcTrace.Max(t => t.Count);
        charts.Add(CChart.Line<int, double, string>(new[] { 0, Math.Max(draws - 1, 0) }, new[] { mean, mean },
            Name: $"mean λ̂ = {mean:G4}", LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("black")));
        return ChartStyle.Combine(charts).WithTitles(title, "draw", "λ̂ (per draw)");
    }

    /// <summary>
    /// Per-chain loss traces L_B(w_t) vs draw index, with L(w*) (the loss at the trained weights) as a
    /// dashed reference line when <paramref name="initLoss"/> is given. Draws below L(w*) mean the sampler
    /// found lower loss: w* was not a local minimum (the model is still training).
    /// </summary>
    public static GenericChart LossTraces(IReadOnlyList<IReadOnlyList<double>> lossTrace, double? initLoss = null, string title = "SGLD loss per draw, by chain")
    {
        Validate(lossTrace, nameof(lossTrace));
        var charts = new List<GenericChart>();
        for (int c = 0; c < lossTrace.Count; c++)
            charts.Add(CChart.Line<int, double, string>(Enumerable.Range(0, lossTrace[c].Count), lossTrace[c], Name: $"chain {c}"));
        if (initLoss is double l0)
        {
            int draws = lossTrace.Max(t => t.Count);
            charts.Add(CChart.Line<int, double, string>(new[] { 0, Math.Max(draws - 1, 0) }, new[] { l0, l0 },
                Name: $"L(w*) = {l0:G4}", LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("black")));
        }
        return ChartStyle.Combine(charts).WithTitles(title, "draw", "loss L_B(w)");
    }

    /// <summary>Array-of-arrays overload (TorchSharp-free results records store traces as <c>double[][]</c>).</summary>
    public static GenericChart LlcTrajectories(double[][] llcTrace, string title = "LLC per draw, by chain") =>
        LlcTrajectories((IReadOnlyList<IReadOnlyList<double>>)llcTrace, title);

    /// <summary>Array-of-arrays overload.</summary>
    public static GenericChart LossTraces(double[][] lossTrace, double? initLoss = null, string title = "SGLD loss per draw, by chain") =>
        LossTraces((IReadOnlyList<IReadOnlyList<double>>)lossTrace, initLoss, title);

    internal static void Validate(IReadOnlyList<IReadOnlyList<double>> trace, string name)
    {
        ArgumentNullException.ThrowIfNull(trace, name);
        if (trace.Count == 0 || trace.Any(t => t is null || t.Count == 0))
            throw new ArgumentException("The trace is empty: expected [chains][draws] with at least one chain and one draw.", name);
    }
}
