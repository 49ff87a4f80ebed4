using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>
/// Probe accuracy after erasure, in and out of the eraser's sample.
/// <list type="bullet">
/// <item><see cref="InSample"/>: the probe is trained and scored on (disjoint parts of) the rows the eraser was fitted on — the old
///   protocol. LEACE makes the class means of those rows exactly equal, so a probe trained on a part of them sees the opposite
///   of the small mean difference left in the rest and scores <em>below</em> chance: a sign of the leak, not of erasure.</item>
/// <item><see cref="OutOfSample"/>: the probe is trained on one half and scored on the other half of held-out rows that the
///   eraser never saw (stratified by the concept); this is what "the concept is erased" must mean for new data.</item>
/// </list>
/// A score is flagged (<see cref="HeldOutProbe.IsLeak"/>) when it is below chance by more than max(2 points, 2 binomial standard
/// errors √(c(1 − c)/m) of the m scored rows): a linear probe cannot do worse than chance on data it was not fitted against unless
/// the evaluation rows were used to fit the eraser.
/// </summary>
/// <param name="InSample">Accuracy of the in-sample probe (seeded 75/25 split of the eraser's fit rows).</param>
/// <param name="InSampleChance">Majority-class rate of its scored rows.</param>
/// <param name="InSampleRows">Rows it was scored on.</param>
/// <param name="OutOfSample">Accuracy of the out-of-sample probe.</param>
/// <param name="OutOfSampleChance">Majority-class rate of its scored rows.</param>
/// <param name="OutOfSampleRows">Rows it was scored on.</param>
public sealed record ErasureProbeScore(double InSample, double InSampleChance, long InSampleRows, double OutOfSample, double OutOfSampleChance, long OutOfSampleRows)
{
    /// <summary>The in-sample probe is below chance beyond noise (the eraser was fitted on the rows it is scored on).</summary>
    public bool InSampleLeak => HeldOutProbe.IsLeak(InSample, InSampleChance, InSampleRows);
    /// <summary>The out-of-sample probe is below chance beyond noise (should not happen; a leak elsewhere in the pipeline).</summary>
    public bool OutOfSampleLeak => HeldOutProbe.IsLeak(OutOfSample, OutOfSampleChance, OutOfSampleRows);
    /// <summary>The out-of-sample probe is within max(2 points, 2 binomial SE) of chance: erased out of sample.</summary>
    public bool ErasedOutOfSample => Math.Abs(OutOfSample - OutOfSampleChance) <= HeldOutProbe.LeakMargin(OutOfSampleChance, OutOfSampleRows);
}

/// <summary>Split-aware probing for erasure (see <see cref="ErasureProbeScore"/>): eraser fit rows, probe-train rows and probe-test
/// rows are disjoint, all splits seeded and stratified by the concept.</summary>
public static class HeldOutProbe
{
    /// <summary>Smallest margin below chance that counts as a leak, in accuracy units (2 points).</summary>
    public const double MinLeakMargin = 0.02;

    /// <summary>max(2 points, 2 binomial standard errors of an accuracy at chance <paramref name="chance"/> on <paramref name="rows"/> rows).</summary>
    public static double LeakMargin(double chance, long rows) =>
        Math.Max(MinLeakMargin, 2 * Math.Sqrt(Math.Max(chance * (1 - chance), 0) / Math.Max(rows, 1)));

    /// <summary>True when <paramref name="accuracy"/> &lt; chance − <see cref="LeakMargin"/>.</summary>
    public static bool IsLeak(double accuracy, double chance, long rows) => accuracy < chance - LeakMargin(chance, rows);

    /// <summary>Row indices split in two, stratified by the labels <paramref name="z"/>: a fraction <paramref name="secondFraction"/>
    /// of each class (rounded) goes to the second part, chosen by a permutation from a generator seeded with <paramref name="seed"/>.</summary>
    public static (long[] First, long[] Second) SplitRows(Tensor z, double secondFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (!(secondFraction > 0 && secondFraction < 1)) throw new ArgumentException($"The held-out fraction must be in (0, 1), got {secondFraction}.");
        var labels = z.cpu().to(ScalarType.Int64).data<long>().ToArray();
        using var g = Seeding.Generator(seed);
        using var permT = randperm(labels.Length, generator: g);
        var perm = permT.data<long>().ToArray();
        var second = new bool[labels.Length];
        foreach (var grp in perm.GroupBy(i => labels[i]))
        {
            var members = grp.ToArray();
            int take = (int)Math.Round(members.Length * secondFraction, MidpointRounding.AwayFromZero);
            for (int j = 0; j < take; j++) second[members[j]] = true;
        }
        var idx = Enumerable.Range(0, labels.Length).Select(i => (long)i);
        return (idx.Where(i => !second[i]).ToArray(), idx.Where(i => second[i]).ToArray());
    }

    /// <summary>The experiments' probe (<see cref="Probe"/>: L2 1e-3 logistic regression) trained on (<paramref name="xTrain"/>, <paramref name="zTrain"/>)
    /// and scored on (<paramref name="xTest"/>, <paramref name="zTest"/>); chance = the majority-class rate of the test labels.</summary>
    public static ProbeScore TrainTest(Tensor xTrain, Tensor zTrain, Tensor xTest, Tensor zTest)
    {
        using var scope = NewDisposeScope();
        int k = (int)Math.Max(zTrain.max().item<long>(), zTest.max().item<long>()) + 1;
        var r = LinearProbe.Fit(xTrain.reshape(xTrain.shape[0], -1), zTrain.to(ScalarType.Int64), new ProbeOptions(L2: 1e-3, TestFraction: 0, Classes: k));
        double acc = r.AccuracyOn(xTest.reshape(xTest.shape[0], -1), zTest);
        using var counts = bincount(zTest.to(ScalarType.Int64).cpu(), minlength: k);
        return new ProbeScore(acc, counts.max().item<long>() / (double)zTest.shape[0]);
    }

    /// <summary>Probe trained on half of the held-out rows and scored on the other half (stratified, seeded).</summary>
    public static ProbeScore OutOfSample(Tensor xHeld, Tensor zHeld, long seed)
    {
        ArgumentNullException.ThrowIfNull(xHeld);
        ArgumentNullException.ThrowIfNull(zHeld);
        if (xHeld.shape[0] != zHeld.shape[0]) throw new ArgumentException($"x has {xHeld.shape[0]} rows but z has {zHeld.shape[0]}.");
        if (xHeld.shape[0] < 8) throw new ArgumentException($"An out-of-sample probe needs at least 8 held-out rows, got {xHeld.shape[0]}.");
        var (a, b) = SplitRows(zHeld, 0.5, Seeding.Derive(seed, 17));
        using var ia = tensor(a, device: xHeld.device); using var ib = tensor(b, device: xHeld.device);
        using var za = zHeld.index_select(0, ia.to(zHeld.device)); using var zb = zHeld.index_select(0, ib.to(zHeld.device));
        using var xa = xHeld.index_select(0, ia); using var xb = xHeld.index_select(0, ib);
        return TrainTest(xa, za, xb, zb);
    }

    /// <summary>Both scores for representations after erasure: <paramref name="fitRows"/> are the (erased) representations of the rows
    /// the eraser was fitted on, <paramref name="heldRows"/> those of rows it never saw (e.g. the data set's test split).</summary>
    public static ErasureProbeScore Measure(Tensor fitRows, Tensor zFit, Tensor heldRows, Tensor zHeld, long seed)
    {
        var inS = Probe.HeldOut(fitRows, zFit, seed);
        var outS = OutOfSample(heldRows, zHeld, seed);
        long inRows = (long)Math.Round(fitRows.shape[0] * 0.25);
        long outRows = heldRows.shape[0] - (long)Math.Round(heldRows.shape[0] * 0.5);
        return new ErasureProbeScore(inS.Accuracy, inS.Chance, inRows, outS.Accuracy, outS.Chance, outRows);
    }

    /// <summary>Tidy rows of one measurement: <c>{metric}</c> = out-of-sample accuracy (the honest number), <c>{metric}_chance</c>,
    /// <c>{metric}_in_sample</c>, <c>{metric}_in_sample_chance</c>, <c>{metric}_in_sample_leak</c> and <c>{metric}_leak</c> (1 = flagged).</summary>
    public static IEnumerable<ResultRow> Rows(ErasureProbeScore s, string experiment, string model, string metric, string procedure,
        long? seed, long? step, string? layer)
    {
        yield return LlcRows.Metric(experiment, model, metric, s.OutOfSample, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_chance", s.OutOfSampleChance, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample", s.InSample, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample_chance", s.InSampleChance, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample_leak", s.InSampleLeak ? 1 : 0, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_leak", s.OutOfSampleLeak ? 1 : 0, procedure, seed, step, layer);
    }
}
