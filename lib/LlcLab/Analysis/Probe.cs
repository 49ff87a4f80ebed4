using LlcLab.Erasure;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>Held-out linear-probe accuracy and the majority-class (chance) rate on the held-out rows.</summary>
public sealed record ProbeScore(double Accuracy, double Chance)
{
    /// <summary>Relative ridge penalties λ̃ the probe(s) behind this score used (one per fitted probe; empty when not recorded).</summary>
    public IReadOnlyList<double> L2 { get; init; } = [];
}

/// <summary>
/// The experiments' probe: the shared L2-regularised logistic regression (<see cref="LinearProbe"/>) with its ridge penalty chosen by
/// stratified k-fold cross-validation of the log-loss on the probe's own training rows.
/// <para>Penalties are relative to the scale of the features: λ = λ̃ · s̄² with s̄² = tr Σ̂ / d the mean feature variance of the training
/// rows, so that λ̃ means the same for activations of any scale (the optimal weights scale as 1/s, their penalty as λ/s²). The grid
/// <see cref="L2Grid"/> ends at λ̃ = 10⁶, which is the prior: weights ≈ 0, intercept = the log-odds of the training classes, i.e. the
/// probe predicts the majority class. With no linear signal the cross-validated log-loss is smallest there (any weights fitted to
/// noise raise the out-of-fold loss), so a probe of erased features scores the majority rate instead of fitting noise and predicting
/// the minority class on some rows — which a weakly regularised probe does when rows per dimension are few: with absolute L2 = 10⁻³,
/// trained on 500 and scored on 500 rows of 128 dims with 30 % positives (the quick Fashion-MNIST split), it scored 0.59 on pure noise and
/// 0.61 on LEACE-erased features at chance 0.70 (8 seeds); at 5,000 + 5,000 rows 0.70 (the over-fit shrinks as d/n).</para>
/// <para>The grid is coarse and the cross-validation 3-fold because the protocols score dozens of representations per seed on 2 cores.</para>
/// </summary>
public static class Probe
{
    /// <summary>Candidate relative penalties λ̃ (the last one is the prior).</summary>
    public static IReadOnlyList<double> L2Grid { get; } = [1e-2, 1e-1, 1, 10, 1e6];

    /// <summary>Newton iterations at most per fit: with a strong concept and small λ̃ (nearly separable rows) Newton creeps for up to 100
    /// iterations with line searches, which made one notebook-03 protocol run take &gt; 45 min; the predicted labels settle long before.</summary>
    public const int MaxIterations = 25;

    /// <summary>Gradient tolerance ‖∇f‖_∞ per fit (the accuracy does not need 1e-10).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Folds of the cross-validation that chooses λ̃.</summary>
    public const int CvFolds = 3;

    /// <summary>The weakly regularised penalty, below the grid (λ̃ = 10⁻³), that the leak check uses: it fits whatever mean difference the
    /// scored rows' complement carries, so it shows the anti-generalisation of an eraser fitted on the scored rows.</summary>
    public const double LeakCheckL2 = 1e-3;

    /// <summary>Fits on 1 − <paramref name="testFraction"/> of the rows of <paramref name="x"/> (flattened per row) and scores on the rest;
    /// <paramref name="z"/> holds integer concept labels. λ̃ is chosen by cross-validation on the training part (<see cref="ChooseL2"/>)
    /// unless <paramref name="l2"/> fixes it.</summary>
    public static ProbeScore HeldOut(Tensor x, Tensor z, long seed = 0, double testFraction = 0.25, double? l2 = null)
    {
        Check(x, z, "held-out probe");
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentException($"testFraction must be in (0, 1), got {testFraction}.");
        using var scope = NewDisposeScope();
        var xf = x.reshape(x.shape[0], -1); var y = z.to(ScalarType.Int64);
        long n = x.shape[0], nTest = Math.Clamp((long)Math.Round(n * testFraction), 1, n - 2);
        using var g = Seeding.Generator(seed);
        var perm = randperm(n, generator: g).to(x.device);
        var test = perm[..(int)nTest]; var train = perm[(int)nTest..];
        return TrainTest(xf.index_select(0, train), y.index_select(0, train), xf.index_select(0, test), y.index_select(0, test), seed, l2);
    }

    /// <summary>Trains on (<paramref name="xTrain"/>, <paramref name="zTrain"/>) with λ̃ = <paramref name="l2"/> or, when null, chosen by
    /// <see cref="ChooseL2"/>, and scores on (<paramref name="xTest"/>, <paramref name="zTest"/>); chance = majority rate of the test labels.</summary>
    public static ProbeScore TrainTest(Tensor xTrain, Tensor zTrain, Tensor xTest, Tensor zTest, long seed = 0, double? l2 = null)
    {
        using var scope = NewDisposeScope();
        int k = Classes(zTrain, zTest);
        var xa = xTrain.reshape(xTrain.shape[0], -1); var za = zTrain.to(ScalarType.Int64);
        double lt = l2 ?? ChooseL2(xa, za, seed, k);
        var r = Fit(xa, za, lt, k);
        double acc = r.AccuracyOn(xTest.reshape(xTest.shape[0], -1), zTest);
        return new ProbeScore(acc, LinearProbe.MajorityRate(zTest)) { L2 = [lt] };
    }

    /// <summary>
    /// Cross-fitted accuracy: the rows are split in two stratified halves (seeded); a probe is trained on each half (λ̃ chosen by
    /// cross-validation within that half unless <paramref name="l2"/> fixes it) and scores the other, so every row is scored once by a
    /// probe that never saw it. Accuracy = correct / n over all rows; chance = the majority rate of all rows. Scoring all rows rather than
    /// one half halves the binomial variance c(1 − c)/n of the score.
    /// </summary>
    public static ProbeScore CrossFitted(Tensor x, Tensor z, long seed = 0, double? l2 = null)
    {
        Check(x, z, "cross-fitted probe");
        using var scope = NewDisposeScope();
        var xf = x.reshape(x.shape[0], -1); var y = z.to(ScalarType.Int64);
        int k = Classes(y, y);
        var (a, b) = HeldOutProbe.SplitRows(y, 0.5, Seeding.Derive(seed, 17));
        var ia = tensor(a, device: x.device); var ib = tensor(b, device: x.device);
        double correct = 0; var used = new List<double>();
        foreach (var (train, test) in new[] { (ia, ib), (ib, ia) })
        {
            var xt = xf.index_select(0, train); var yt = y.index_select(0, train.to(y.device));
            double lt = l2 ?? ChooseL2(xt, yt, seed, k);
            used.Add(lt);
            var r = Fit(xt, yt, lt, k);
            correct += r.AccuracyOn(xf.index_select(0, test), y.index_select(0, test.to(y.device))) * test.shape[0];
        }
        return new ProbeScore(correct / x.shape[0], LinearProbe.MajorityRate(y)) { L2 = used };
    }

    /// <summary>
    /// The relative penalty λ̃ ∈ <see cref="L2Grid"/> with the smallest stratified <see cref="CvFolds"/>-fold cross-validated mean log-loss
    /// on (<paramref name="x"/>, <paramref name="z"/>); ties go to the larger penalty. Folds are seeded by <paramref name="seed"/>.
    /// </summary>
    public static double ChooseL2(Tensor x, Tensor z, long seed = 0, int? classes = null)
    {
        Check(x, z, "cross-validated probe");
        using var scope = NewDisposeScope();
        var xf = x.reshape(x.shape[0], -1); var y = z.to(ScalarType.Int64);
        int k = classes ?? Classes(y, y);
        var fold = HeldOutProbe.Folds(y, CvFolds, Seeding.Derive(seed, 23));
        var loss = new double[L2Grid.Count];
        for (int f = 0; f < CvFolds; f++)
        {
            var tr = tensor(Enumerable.Range(0, fold.Length).Where(i => fold[i] != f).Select(i => (long)i).ToArray(), device: x.device);
            var te = tensor(Enumerable.Range(0, fold.Length).Where(i => fold[i] == f).Select(i => (long)i).ToArray(), device: x.device);
            if (te.shape[0] == 0) continue;
            var xt = xf.index_select(0, tr); var yt = y.index_select(0, tr.to(y.device));
            var xv = xf.index_select(0, te); var yv = y.index_select(0, te.to(y.device));
            for (int j = 0; j < L2Grid.Count; j++)
                loss[j] += LogLoss(Fit(xt, yt, L2Grid[j], k), xv, yv) * te.shape[0];
        }
        int best = L2Grid.Count - 1;
        for (int j = L2Grid.Count - 2; j >= 0; j--) if (loss[j] < loss[best] - 1e-12 * Math.Abs(loss[best])) best = j;
        return L2Grid[best];
    }

    /// <summary>The probe (<see cref="LinearProbe"/>) at relative penalty λ̃ = <paramref name="relativeL2"/>: λ = λ̃ · tr Σ̂ / d of <paramref name="x"/>.</summary>
    public static ProbeResult Fit(Tensor x, Tensor z, double relativeL2, int classes)
    {
        if (!(relativeL2 > 0)) throw new ArgumentException($"The relative L2 penalty must be > 0, got {relativeL2}.");
        double scale;
        using (var v = x.to_type(ScalarType.Float64).var(0L, unbiased: false).mean()) scale = v.item<double>();
        if (!(scale > 0)) scale = 1; // constant features: any penalty gives the prior
        return LinearProbe.Fit(x, z, new ProbeOptions(L2: relativeL2 * scale, TestFraction: 0, Classes: classes, MaxIterations: MaxIterations, Tolerance: Tolerance));
    }

    /// <summary>Mean log-loss −log p(z | x) of a fitted logistic probe on (<paramref name="x"/>, <paramref name="z"/>).</summary>
    public static double LogLoss(ProbeResult probe, Tensor x, Tensor z)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var scope = NewDisposeScope();
        var s = probe.Scores(x);
        var full = probe.Classes == 2 ? cat([zeros_like(s), s], 1) : s;
        var y = z.to(ScalarType.Int64, full.device);
        return (-full.log_softmax(1).gather(1, y.unsqueeze(1))).mean().item<double>();
    }

    /// <summary>The labels <paramref name="z"/> shuffled by a permutation from a generator seeded with <paramref name="seed"/> (a
    /// permutation null keeps the class counts and the features, and breaks every link between them).</summary>
    public static Tensor Shuffled(Tensor z, long seed)
    {
        ArgumentNullException.ThrowIfNull(z);
        using var g = Seeding.Generator(seed);
        using var perm = randperm(z.shape[0], generator: g);
        return z.index_select(0, perm.to(z.device));
    }

    static int Classes(Tensor a, Tensor b) => (int)Math.Max(a.max().item<long>(), b.max().item<long>()) + 1;

    static void Check(Tensor x, Tensor z, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        if (x.shape[0] != z.shape[0]) throw new ArgumentException($"x has {x.shape[0]} rows but z has {z.shape[0]}.");
        if (x.shape[0] < 8) throw new ArgumentException($"A {what} needs at least 8 rows, got {x.shape[0]}.");
    }
}
