using System.Text;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using TorchSharp;
using LlcLab.Analysis;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>The rows an eraser is fitted on and the held-out rows its probes are scored on (<see cref="ErasureComparison.Split"/>).</summary>
public sealed record FitHeldSplit(Tensor XFit, Tensor ZFit, Tensor XHeld, Tensor ZHeld) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        XFit.Dispose(); ZFit.Dispose(); XHeld.Dispose(); ZHeld.Dispose();
    }
}

/// <summary>How one eraser did on one representation.</summary>
/// <param name="Method">Eraser name ("leace", "orth", "meandiff", "inlp", "rlace").</param>
/// <param name="ProbeAccuracyBefore">Out-of-sample accuracy of a logistic probe for the concept on the original features
/// (cross-fitted over the held-out rows, <see cref="HeldOutProbe.OutOfSample"/>).</param>
/// <param name="ProbeAccuracyAfter">The same out-of-sample probe on the erased held-out rows (the eraser never saw them).</param>
/// <param name="Chance">Majority-class rate of the held-out rows (all of them are scored).</param>
/// <param name="MeanSquaredEdit">Mean over rows of ‖x′ − x‖² (the size of the edit LEACE minimises).</param>
/// <param name="Rank">Rank of the edit.</param>
/// <param name="DirectionCosine">|cos| between the edit's range and the true concept direction (synthetic data only).</param>
public sealed record ErasureOutcome(string Method, double ProbeAccuracyBefore, double ProbeAccuracyAfter, double Chance,
    double MeanSquaredEdit, long Rank, double? DirectionCosine)
{
    /// <summary>Mean over rows of ‖x′ − x‖ (the edit's typical length, in the units of x).</summary>
    public double MeanEditNorm { get; init; } = double.NaN;

    /// <summary>Accuracy removed, in probe-accuracy points above chance: (before − after), out of sample.</summary>
    public double AccuracyRemoved => ProbeAccuracyBefore - ProbeAccuracyAfter;

    /// <summary>Both probe scores after erasure (in the eraser's fit rows and out of sample), with their leak flags.</summary>
    public ErasureProbeScore? Probe { get; init; }

    /// <summary>Accuracy of the in-sample probe after erasure (a weakly regularised probe scored on rows the eraser was fitted on; below its permutation null = leak).</summary>
    public double ProbeAccuracyAfterInSample => Probe?.InSample ?? double.NaN;
}

/// <summary>
/// Side-by-side comparison of linear concept erasers (notebook 02): probe accuracy after erasure vs the size of the edit.
/// </summary>
public static class ErasureComparison
{
    /// <summary>The erasers compared by default (those this build provides).</summary>
    public static IReadOnlyList<string> Methods => EraserRegistry.Names;

    /// <summary>The synthetic problem of notebook 02 (<see cref="SyntheticErasureData.Create"/>).</summary>
    public static SyntheticErasureData Synthetic(int n = 5000, int dim = 16, double strength = 1.0, long seed = 0) =>
        SyntheticErasureData.Create(n, dim, strength, seed);

    /// <summary>
    /// Splits the rows (stratified by z, seeded) into the eraser's fit rows and a held-out fraction <paramref name="heldOutFraction"/>
    /// it never sees; fits each eraser on the fit rows; scores a fresh logistic probe out of sample (cross-fitted over the held-out
    /// rows, L2 by cross-validation) before and after erasure, and in sample (within the fit rows, the leak-prone protocol, see
    /// <see cref="ErasureProbeScore"/>); and measures the mean squared edit over all rows.
    /// </summary>
    public static IReadOnlyList<ErasureOutcome> Run(Tensor x, Tensor z, IEnumerable<string> methods, long seed = 0, Tensor? trueDirection = null, double heldOutFraction = 0.4)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        using var split = ErasureComparison.Split(x, z, heldOutFraction, seed);
        var (xFit, zFit, xHeld, zHeld) = (split.XFit, split.ZFit, split.XHeld, split.ZHeld);
        var before = HeldOutProbe.OutOfSample(xHeld, zHeld, seed);
        var list = new List<ErasureOutcome>();
        foreach (var m in methods)
        {
            using var scope = NewDisposeScope();
            using var eraser = EraserRegistry.Fit(m, xFit, zFit, new EraserSettings(Seed: seed));
            var probe = HeldOutProbe.Measure(eraser.Apply(xFit), zFit, eraser.Apply(xHeld), zHeld, seed);
            var xe = eraser.Apply(x);
            var sq = SquaredEdits(x, xe);
            double edit = sq.mean().item<double>();
            double norm = sq.sqrt().mean().item<double>();
            double? cos = null;
            if (trueDirection is not null)
            {
                // The edit moves points within the range of (I − P); measure how well u lies in that range.
                var (mat, _) = eraser.AffineForm();
                var edit64 = eye(mat.shape[0], dtype: ScalarType.Float64) - mat.to(ScalarType.Float64).cpu();
                var u = trueDirection.to(ScalarType.Float64).cpu();
                var (uq, sv, _) = linalg.svd(edit64, fullMatrices: false);
                var keep = sv.gt(sv.max() * 1e-6);
                var basis = uq.index_select(1, keep.nonzero().squeeze(1));
                cos = basis.T.matmul(u).norm().item<double>() / u.norm().item<double>();
            }
            list.Add(new ErasureOutcome(m, before.Accuracy, probe.OutOfSample, probe.OutOfSampleChance, edit, eraser.Rank, cos) { MeanEditNorm = norm, Probe = probe });
        }
        return list;
    }

    /// <summary>The split of <see cref="Run"/> and <see cref="InlpTrace.Run"/>: a fraction <paramref name="heldOutFraction"/> of each concept class
    /// held out (<see cref="HeldOutProbe.SplitRows"/>, seeded); erasers are fitted on the rest, probes are scored on the held-out rows.</summary>
    public static FitHeldSplit Split(Tensor x, Tensor z, double heldOutFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        var (fitIdx, heldIdx) = HeldOutProbe.SplitRows(z, heldOutFraction, seed);
        using var fi = tensor(fitIdx, device: x.device); using var hi = tensor(heldIdx, device: x.device);
        return new FitHeldSplit(x.index_select(0, fi), z.index_select(0, fi.to(z.device)), x.index_select(0, hi), z.index_select(0, hi.to(z.device)));
    }

    /// <summary>‖x′ − x‖² per row (float64): the size of the edit that LEACE minimises in mean.</summary>
    public static Tensor SquaredEdits(Tensor x, Tensor erased) => (erased.to(ScalarType.Float64) - x.to(ScalarType.Float64)).Squared().sum(1);

    /// <summary>A fixed-width text table of the outcomes.</summary>
    public static string ToText(IEnumerable<ErasureOutcome> outcomes)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"method",-10} {"probe before",13} {"probe after",12} {"in-sample",10} {"chance",7} {"removed",8} {"mean ‖x′−x‖²",14} {"mean ‖x′−x‖",13} {"rank",5}");
        foreach (var o in outcomes)
            sb.AppendLine(FormattableString.Invariant($"{o.Method,-10} {o.ProbeAccuracyBefore,13:P1} {o.ProbeAccuracyAfter,12:P1} {o.ProbeAccuracyAfterInSample,10:P1}{(o.Probe?.InSampleLeak == true ? "!" : " ")}{o.Chance,7:P1} {100 * o.AccuracyRemoved,8:F1} {o.MeanSquaredEdit,14:G4} {o.MeanEditNorm,13:G4} {o.Rank,5}"));
        sb.AppendLine("probe before/after: cross-fitted on held-out rows the eraser never saw (L2 by cross-validation); in-sample: a weakly regularised probe within the eraser's fit rows (! = below its permutation null beyond noise: a leak, not erasure).");
        return sb.ToString();
    }

    /// <summary>
    /// Per-method verdict lines computed from the outcomes: accuracy removed (points, and as a share of the above-chance
    /// accuracy), edit size relative to LEACE's, whether the probe ends within <paramref name="chanceTolerance"/> of
    /// chance; then which of the methods that reach chance has the smallest edit (LEACE's minimality claim, Belrose et
    /// al. 2023 Thm 4.1, concerns exactly this among erasers that zero the cross-covariance).
    /// </summary>
    public static string Verdicts(IReadOnlyList<ErasureOutcome> outcomes, double chanceTolerance = 0.03)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var sb = new StringBuilder();
        var leace = outcomes.FirstOrDefault(o => o.Method == "leace");
        foreach (var o in outcomes)
        {
            double above = o.ProbeAccuracyBefore - o.Chance;
            // Capped at 100 %: an out-of-sample probe can land a little below chance by noise.
            string share = above > 1e-9 ? FormattableString.Invariant($" ({Math.Min(1, o.AccuracyRemoved / above):P0} of the above-chance accuracy)") : "";
            string rel = leace is not null && leace.MeanSquaredEdit > 0 ? FormattableString.Invariant($", edit {o.MeanSquaredEdit / leace.MeanSquaredEdit:F2}× LEACE's") : "";
            bool atChance = o.ProbeAccuracyAfter <= o.Chance + chanceTolerance;
            sb.AppendLine(FormattableString.Invariant(
                $"{o.Method,-9} removes {100 * o.AccuracyRemoved,5:F1} points{share}{rel}, rank {o.Rank}; probe {(atChance ? "at chance" : $"still {100 * (o.ProbeAccuracyAfter - o.Chance):F1} points above chance")}."));
        }
        var leaks = outcomes.Where(o => o.Probe?.InSampleLeak == true).Select(o => o.Method).ToList();
        if (leaks.Count > 0)
            sb.AppendLine($"In sample (scored on the eraser's own fit rows) the weakly regularised probe falls below its permutation null for {string.Join(", ", leaks)}: that is the fit leaking into the score, not erasure; the verdicts use the out-of-sample probe.");
        var reach = outcomes.Where(o => o.ProbeAccuracyAfter <= o.Chance + chanceTolerance).OrderBy(o => o.MeanSquaredEdit).ToList();
        sb.Append(reach.Count == 0
            ? FormattableString.Invariant($"Verdict: no method brings the held-out probe within {100 * chanceTolerance:F0} points of chance.")
            : FormattableString.Invariant($"Verdict: of the {reach.Count} method(s) within {100 * chanceTolerance:F0} points of chance ({string.Join(", ", reach.Select(o => o.Method))}), {reach[0].Method} has the smallest edit."));
        return sb.ToString();
    }

    /// <summary>Tidy rows: probe_accuracy_before/after (out of sample), probe_accuracy_after_in_sample and its leak flag, chance,
    /// mean_squared_edit, rank per method.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<ErasureOutcome> outcomes, string experiment, string model, string? layer = null, long? seed = null)
    {
        foreach (var o in outcomes)
        {
            yield return LlcRows.Metric(experiment, model, "probe_accuracy_before", o.ProbeAccuracyBefore, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "probe_accuracy_after", o.ProbeAccuracyAfter, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "probe_accuracy_after_in_sample", o.ProbeAccuracyAfterInSample, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "probe_accuracy_after_in_sample_leak", o.Probe?.InSampleLeak == true ? 1 : 0, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "probe_accuracy_after_leak", o.Probe?.OutOfSampleLeak == true ? 1 : 0, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "chance", o.Chance, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "mean_squared_edit", o.MeanSquaredEdit, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "mean_edit_norm", o.MeanEditNorm, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "accuracy_removed", o.AccuracyRemoved, o.Method, seed, layer: layer);
            yield return LlcRows.Metric(experiment, model, "edit_rank", o.Rank, o.Method, seed, layer: layer);
        }
    }
}
