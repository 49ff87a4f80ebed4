using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using LlcLab.Analysis;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>One point of an INLP trace: after <see cref="Iteration"/> rounds (0 = no erasure) the cumulative projection
/// has rank <see cref="Rank"/>; a fresh held-out probe reaches <see cref="ProbeAccuracy"/>; the edit's mean ‖x′ − x‖² is
/// <see cref="MeanSquaredEdit"/>.</summary>
public sealed record InlpTracePoint(int Iteration, long Rank, double ProbeAccuracy, double Chance, double MeanSquaredEdit);

/// <summary>
/// INLP step by step (Ravfogel et al. 2020, Alg. 1): the held-out probe accuracy (the same probe as in
/// <see cref="ErasureComparison"/>, so the numbers line up with the comparison table) after each projection round.
/// </summary>
public static class InlpTrace
{
    /// <summary>Runs INLP with <see cref="EraserRegistry.InlpSettings"/> and scores every cumulative eraser.</summary>
    public static IReadOnlyList<InlpTracePoint> Run(Tensor x, Tensor z, long seed = 0, double heldOutFraction = 0.4)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        // The same split as ErasureComparison.Run: INLP is fitted on the fit rows, probes are scored out of sample.
        using var split = ErasureComparison.Split(x, z, heldOutFraction, seed);
        var (xFit, zFit, xHeld, zHeld) = (split.XFit, split.ZFit, split.XHeld, split.ZHeld);
        var r = Inlp.Fit(xFit, zFit, EraserRegistry.InlpSettings(seed));
        try
        {
            var before = HeldOutProbe.OutOfSample(xHeld, zHeld, seed);
            var points = new List<InlpTracePoint> { new(0, 0, before.Accuracy, before.Chance, 0) };
            foreach (var it in r.Iterations)
            {
                using var scope = NewDisposeScope();
                var p = HeldOutProbe.OutOfSample(it.Eraser.Apply(xHeld), zHeld, seed);
                var xe = it.Eraser.Apply(x);
                double edit = ErasureComparison.SquaredEdits(x, xe).mean().item<double>();
                points.Add(new InlpTracePoint(it.Iteration + 1, it.Rank, p.Accuracy, p.Chance, edit));
            }
            return points;
        }
        finally
        {
            foreach (var it in r.Iterations) it.Eraser.Dispose();
            r.Eraser.Dispose();
        }
    }

    /// <summary>Fixed-width text table of a trace.</summary>
    public static string ToText(IEnumerable<InlpTracePoint> trace) =>
        "round  rank  probe acc  chance  mean ‖x′−x‖²\n" + string.Join("\n", trace.Select(p =>
            FormattableString.Invariant($"{p.Iteration,5} {p.Rank,5} {p.ProbeAccuracy,10:P1} {p.Chance,7:P1} {p.MeanSquaredEdit,13:G4}")));

    /// <summary>Tidy rows: metric <c>inlp_probe_accuracy</c> and <c>inlp_mean_squared_edit</c>, step = round.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<InlpTracePoint> trace, string experiment, string model, string? layer = null, long? seed = null)
    {
        foreach (var p in trace)
        {
            yield return LlcRows.Metric(experiment, model, "inlp_probe_accuracy", p.ProbeAccuracy, "inlp", seed, p.Iteration, layer);
            yield return LlcRows.Metric(experiment, model, "inlp_mean_squared_edit", p.MeanSquaredEdit, "inlp", seed, p.Iteration, layer);
        }
    }
}
