using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>
/// Probe accuracy after erasure, in and out of the eraser's sample.
/// <list type="bullet">
/// <item><see cref="OutOfSample"/>, the erasure measure: cross-fitted accuracy (<see cref="Probe.CrossFitted"/>) of the experiments'
///   probe, λ̃ chosen by cross-validation, over all held-out rows the eraser never saw. With no linear signal left it falls back to the
///   prior and scores the majority rate, so "erased out of sample" means within max(2 points, 2 binomial SE) of chance
///   (<see cref="ErasedOutOfSample"/>). <see cref="OutOfSampleNull"/> is the same procedure with shuffled labels (a permutation null).</item>
/// <item><see cref="InSample"/>, the leak diagnostic: the weakly regularised probe (λ̃ = <see cref="Probe.LeakCheckL2"/>) trained and scored on
///   a seeded 75/25 split of the rows the eraser was fitted on — the old protocol. LEACE makes the class means of those rows exactly
///   equal, so a probe trained on a part of them sees the opposite of the small mean difference left in the rest and scores below what
///   the same probe scores with shuffled labels (<see cref="InSampleNull"/>): a sign of the leak, not of erasure.</item>
/// </list>
/// A leak is a probe scoring below its own permutation null (same probe, same rows, labels shuffled) by more than
/// <see cref="HeldOutProbe.LeakMargin(double, long, int)"/>; being below the majority rate is not one — an over-fitted probe of
/// no-signal features predicts the minority class on some rows and lands below it (<see cref="HeldOutProbe.IsLeak(double, double, long, int)"/>).
/// </summary>
/// <param name="InSample">Accuracy of the in-sample leak-check probe (λ̃ = 10⁻³, seeded 75/25 split of the eraser's fit rows).</param>
/// <param name="InSampleChance">Majority-class rate of its scored rows.</param>
/// <param name="InSampleRows">Rows it was scored on.</param>
/// <param name="OutOfSample">Cross-fitted accuracy of the cross-validated probe over the held-out rows.</param>
/// <param name="OutOfSampleChance">Majority-class rate of the held-out rows.</param>
/// <param name="OutOfSampleRows">Rows it was scored on (all held-out rows).</param>
public sealed record ErasureProbeScore(double InSample, double InSampleChance, long InSampleRows, double OutOfSample, double OutOfSampleChance, long OutOfSampleRows)
{
    /// <summary>Mean accuracy of the in-sample leak-check probe over <see cref="HeldOutProbe.NullDraws"/> label shufflings (NaN when not measured).</summary>
    public double InSampleNull { get; init; } = double.NaN;
    /// <summary>The out-of-sample (cross-fitted, cross-validated) probe with shuffled labels (NaN when not measured).</summary>
    public double OutOfSampleNull { get; init; } = double.NaN;
    /// <summary>The leak-check probe (λ̃ = 10⁻³) trained on one half of the held-out rows and scored on the other.</summary>
    public double OutOfSampleCheck { get; init; } = double.NaN;
    /// <summary>Mean accuracy of that probe over <see cref="HeldOutProbe.NullDraws"/> label shufflings.</summary>
    public double OutOfSampleCheckNull { get; init; } = double.NaN;
    /// <summary>Rows the out-of-sample leak check was scored on.</summary>
    public long OutOfSampleCheckRows { get; init; }

    /// <summary>The in-sample probe is below its permutation null beyond noise (the eraser was fitted on the rows it is scored on).</summary>
    public bool InSampleLeak => HeldOutProbe.IsLeak(InSample, InSampleNull, InSampleRows, HeldOutProbe.NullDraws);
    /// <summary>The out-of-sample leak check is below its permutation null beyond noise (should not happen; a leak elsewhere in the pipeline).</summary>
    public bool OutOfSampleLeak => HeldOutProbe.IsLeak(OutOfSampleCheck, OutOfSampleCheckNull, OutOfSampleCheckRows, HeldOutProbe.NullDraws);
    /// <summary>Binomial standard error √(c(1 − c)/m) of an accuracy at chance c on the m out-of-sample rows.</summary>
    public double OutOfSampleSe => HeldOutProbe.BinomialSe(OutOfSampleChance, OutOfSampleRows);
    /// <summary>The out-of-sample probe is within max(2 points, 2 binomial SE) of chance: erased out of sample.</summary>
    public bool ErasedOutOfSample => Math.Abs(OutOfSample - OutOfSampleChance) <= HeldOutProbe.LeakMargin(OutOfSampleChance, OutOfSampleRows);
}

/// <summary>Split-aware probing for erasure (see <see cref="ErasureProbeScore"/>): eraser fit rows, probe-train rows and probe-test
/// rows are disjoint, all splits seeded and stratified by the concept.</summary>
public static class HeldOutProbe
{
    /// <summary>Smallest margin that counts, in accuracy units (2 points).</summary>
    public const double MinLeakMargin = 0.02;

    /// <summary>Label shufflings averaged in the leak check's permutation null.</summary>
    public const int NullDraws = 2;

    /// <summary>√(p(1 − p)/m): the binomial standard error of an accuracy p on m rows.</summary>
    public static double BinomialSe(double p, long rows) => Math.Sqrt(Math.Max(p * (1 - p), 0) / Math.Max(rows, 1));

    /// <summary>max(2 points, 2 binomial standard errors of an accuracy at chance <paramref name="chance"/> on <paramref name="rows"/> rows).</summary>
    public static double LeakMargin(double chance, long rows) => MarginOf(BinomialSe(chance, rows));

    /// <summary>max(2 points, 2 <paramref name="se"/>): the erasure margin from a stored standard error (rows <c>{metric}_se</c>).</summary>
    public static double MarginOf(double se) => Math.Max(MinLeakMargin, 2 * se);

    /// <summary>max(2 points, 2 standard errors of accuracy − null), the null being the mean of <paramref name="nullDraws"/> shufflings on the
    /// same <paramref name="rows"/> rows: 2·√(r(1 − r)/m · (1 + 1/P)) at the null accuracy r.</summary>
    public static double LeakMargin(double reference, long rows, int nullDraws) =>
        MarginOf(BinomialSe(reference, rows) * Math.Sqrt(1 + 1.0 / Math.Max(nullDraws, 1)));

    /// <summary>True when <paramref name="accuracy"/> &lt; chance − <see cref="LeakMargin(double, long)"/>.</summary>
    public static bool IsLeak(double accuracy, double chance, long rows) => accuracy < chance - LeakMargin(chance, rows);

    /// <summary>True when <paramref name="accuracy"/> is below the permutation null <paramref name="nullAccuracy"/> by more than
    /// <see cref="LeakMargin(double, long, int)"/>; false when the null was not measured (NaN).</summary>
    public static bool IsLeak(double accuracy, double nullAccuracy, long rows, int nullDraws) =>
        !double.IsNaN(nullAccuracy) && accuracy < nullAccuracy - LeakMargin(nullAccuracy, rows, nullDraws);

    /// <summary>Fold index 0..k−1 of every row, stratified by the labels <paramref name="z"/>: within each class, rows in the order of a
    /// seeded permutation are dealt to folds in turn.</summary>
    public static int[] Folds(Tensor z, int k, long seed)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (k < 2) throw new ArgumentException($"Cross-validation needs at least 2 folds, got {k}.");
        var labels = z.cpu().to(ScalarType.Int64).data<long>().ToArray();
        using var g = Seeding.Generator(seed);
        using var permT = randperm(labels.Length, generator: g);
        var fold = new int[labels.Length];
        foreach (var grp in permT.data<long>().ToArray().GroupBy(i => labels[i]))
        {
            int j = 0;
            foreach (var i in grp) fold[i] = j++ % k;
        }
        return fold;
    }

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

    /// <summary>The out-of-sample erasure measure: <see cref="Probe.CrossFitted"/> over all held-out rows (two stratified seeded halves,
    /// each scored by a probe trained on the other with λ̃ chosen by cross-validation there).</summary>
    public static ProbeScore OutOfSample(Tensor xHeld, Tensor zHeld, long seed)
    {
        ArgumentNullException.ThrowIfNull(xHeld);
        ArgumentNullException.ThrowIfNull(zHeld);
        if (xHeld.shape[0] != zHeld.shape[0]) throw new ArgumentException($"x has {xHeld.shape[0]} rows but z has {zHeld.shape[0]}.");
        if (xHeld.shape[0] < 8) throw new ArgumentException($"An out-of-sample probe needs at least 8 held-out rows, got {xHeld.shape[0]}.");
        return Probe.CrossFitted(xHeld, zHeld, seed);
    }

    /// <summary>Both scores for representations after erasure: <paramref name="fitRows"/> are the (erased) representations of the rows
    /// the eraser was fitted on, <paramref name="heldRows"/> those of rows it never saw (e.g. the data set's test split). Measures the
    /// cross-fitted probe and its permutation null on the held-out rows, and the leak check (λ̃ = 10⁻³ probe vs the mean of
    /// <see cref="NullDraws"/> shufflings) in sample (75/25 split of the fit rows) and out of sample (half/half split of the held-out rows).</summary>
    public static ErasureProbeScore Measure(Tensor fitRows, Tensor zFit, Tensor heldRows, Tensor zHeld, long seed)
    {
        ArgumentNullException.ThrowIfNull(fitRows);
        ArgumentNullException.ThrowIfNull(heldRows);
        using var scope = NewDisposeScope();
        var outS = OutOfSample(heldRows, zHeld, seed);
        var outNull = Probe.CrossFitted(heldRows, Probe.Shuffled(zHeld, Seeding.Derive(seed, 31)), seed);
        var inS = Probe.HeldOut(fitRows, zFit, seed, 0.25, Probe.LeakCheckL2);
        double inNull = Enumerable.Range(0, NullDraws)
            .Average(i => Probe.HeldOut(fitRows, Probe.Shuffled(zFit, Seeding.Derive(seed, 41 + i)), seed, 0.25, Probe.LeakCheckL2).Accuracy);
        var (a, b) = SplitRows(zHeld, 0.5, Seeding.Derive(seed, 17));
        var ia = tensor(a, device: heldRows.device); var ib = tensor(b, device: heldRows.device);
        var xa = heldRows.index_select(0, ia); var xb = heldRows.index_select(0, ib);
        var za = zHeld.index_select(0, ia.to(zHeld.device)); var zb = zHeld.index_select(0, ib.to(zHeld.device));
        double check = Probe.TrainTest(xa, za, xb, zb, seed, Probe.LeakCheckL2).Accuracy;
        // Shuffle the held-out labels as a whole, then split the same rows: the null keeps the split and the probe.
        double checkNull = Enumerable.Range(0, NullDraws).Average(i =>
        {
            var zs = Probe.Shuffled(zHeld, Seeding.Derive(seed, 51 + i));
            return Probe.TrainTest(xa, zs.index_select(0, ia.to(zs.device)), xb, zs.index_select(0, ib.to(zs.device)), seed, Probe.LeakCheckL2).Accuracy;
        });
        long inRows = Math.Clamp((long)Math.Round(fitRows.shape[0] * 0.25), 1, fitRows.shape[0] - 2);
        return new ErasureProbeScore(inS.Accuracy, inS.Chance, inRows, outS.Accuracy, outS.Chance, heldRows.shape[0])
        {
            InSampleNull = inNull, OutOfSampleNull = outNull.Accuracy,
            OutOfSampleCheck = check, OutOfSampleCheckNull = checkNull, OutOfSampleCheckRows = b.Length,
        };
    }

    /// <summary>Tidy rows of one measurement: <c>{metric}</c> = out-of-sample cross-fitted accuracy (the erasure measure),
    /// <c>{metric}_chance</c>, <c>{metric}_se</c> (binomial SE at chance), <c>{metric}_null</c> (permutation null), <c>{metric}_in_sample</c>,
    /// <c>{metric}_in_sample_chance</c>, <c>{metric}_in_sample_null</c>, and the leak flags <c>{metric}_in_sample_leak</c> and
    /// <c>{metric}_leak</c> (1 = a probe below its permutation null beyond noise).</summary>
    public static IEnumerable<ResultRow> Rows(ErasureProbeScore s, string experiment, string model, string metric, string procedure,
        long? seed, long? step, string? layer)
    {
        ArgumentNullException.ThrowIfNull(s);
        yield return LlcRows.Metric(experiment, model, metric, s.OutOfSample, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_chance", s.OutOfSampleChance, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_se", s.OutOfSampleSe, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_null", s.OutOfSampleNull, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample", s.InSample, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample_chance", s.InSampleChance, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample_null", s.InSampleNull, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_in_sample_leak", s.InSampleLeak ? 1 : 0, procedure, seed, step, layer);
        yield return LlcRows.Metric(experiment, model, metric + "_leak", s.OutOfSampleLeak ? 1 : 0, procedure, seed, step, layer);
    }
}
