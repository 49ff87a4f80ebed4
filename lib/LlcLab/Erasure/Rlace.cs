using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Options of <see cref="Rlace"/>. Defaults follow the reference code (Ravfogel et al. 2022,
/// shauli-ravfogel/rlace-icml, <c>solve_adv_game</c>) except where noted.</summary>
/// <param name="Rank">k: dimensions removed.</param>
/// <param name="Iterations">Maximal outer iterations (one adversary step and <paramref name="ClassifierSteps"/> classifier steps each);
/// reference: 75 000.</param>
/// <param name="LearningRate">SGD step size of the adversary P (reference: 0.005).</param>
/// <param name="EvalEvery">Every this many outer iterations the candidate (top-k eigenvectors of P, rounded to an orthogonal
/// rank-k projection) is scored by a fresh classifier (reference: 1000; 500 here so the early stop can fire sooner).</param>
/// <param name="Seed">Seed of the initialisation, the minibatch order and the train/dev split.</param>
/// <param name="Probe">The fresh classifier used to score candidates (its L2 is used; it is fitted on the train split and scored on the dev split)
/// and to report <see cref="RlaceResult.ProbeAccuracy"/>.</param>
/// <param name="ClassifierSteps">Classifier SGD steps per adversary step (reference: 1).</param>
/// <param name="ClassifierLearningRate">SGD step size of the classifier (reference: 0.005).</param>
/// <param name="ClassifierWeightDecay">L2 weight decay of the classifier (reference: 1e-4).</param>
/// <param name="AdversaryWeightDecay">L2 weight decay of P before each Fantope projection (reference: 1e-4).</param>
/// <param name="BatchSize">Rows per minibatch (reference: 128); 0 = full batch.</param>
/// <param name="DevFraction">Share of the rows held out to score candidates (the reference takes a separate dev set).</param>
/// <param name="Epsilon">Stop when the fresh classifier's dev accuracy is within this of the dev majority rate (reference: 0.0015); the
/// tolerance used is max(ε, 1/n_dev), since dev accuracy moves in steps of one row.</param>
/// <param name="LossTolerance">Also stop (a deviation from the reference, which only has the accuracy rule) when the fresh classifier's dev
/// log-loss is within this many nats of the best constant predictor's: no linear information is left to remove.</param>
public sealed record RlaceOptions(int Rank = 1, int Iterations = 75_000, double LearningRate = 0.005, int EvalEvery = 500, long Seed = 0,
    ProbeOptions? Probe = null, int ClassifierSteps = 1, double ClassifierLearningRate = 0.005, double ClassifierWeightDecay = 1e-4,
    double AdversaryWeightDecay = 1e-4, int BatchSize = 128, double DevFraction = 0.25, double Epsilon = 0.0015, double LossTolerance = 0.001);

/// <summary>Result of <see cref="Rlace.Fit"/>.</summary>
/// <param name="Eraser">x′ = x − UUᵀ(x − μ) with U the top-k eigenvectors of the kept relaxed solution.</param>
/// <param name="ProbeAccuracy">Held-out accuracy of a fresh probe (<see cref="RlaceOptions.Probe"/>, its own split) on the erased data.</param>
/// <param name="ChanceLevel">Majority-class rate of that probe's held-out rows.</param>
/// <param name="BestIteration">Outer iteration whose projection was kept.</param>
/// <param name="AdversaryLoss">Fresh classifier's dev loss of each scored candidate (the quantity the selection maximises).</param>
/// <param name="IterationsRun">Outer iterations run (fewer than <see cref="RlaceOptions.Iterations"/> after the early stop).</param>
public sealed record RlaceResult(AffineEraser Eraser, double ProbeAccuracy, double ChanceLevel, int BestIteration, IReadOnlyList<double> AdversaryLoss, int IterationsRun = 0);

/// <summary>
/// Relaxed Linear Adversarial Concept Erasure (R-LACE, Ravfogel et al. 2022, eq. 4–6): the minimax game
/// max_{P ∈ F_k} min_θ L(θ; X(I − P)) over the Fantope F_k = {P = Pᵀ : 0 ⪯ P ⪯ I, tr P = k}, the convex hull of
/// rank-k orthogonal projections, with L the logistic / softmax loss of a linear classifier θ.
/// As in the reference code (rlace-icml, <c>solve_adv_game</c>): P starts random; each outer iteration takes one SGD ascent
/// step on P (minibatch of 128, lr 0.005, weight decay 1e-4) followed by the Euclidean projection onto F_k (clip the
/// eigenvalues to [0, 1] after a shift that makes them sum to k; Vu et al. 2013), then one SGD descent step on θ (same
/// settings); every <see cref="RlaceOptions.EvalEvery"/> iterations the candidate I − U_kU_kᵀ (U_k the top-k eigenvectors
/// of P) is scored by a FRESH logistic classifier trained on the train split and evaluated on a dev split, and the candidate
/// with the highest fresh dev loss is kept. Deviations: the dev split is carved out of the given rows
/// (<see cref="RlaceOptions.DevFraction"/>); the fresh classifier is the shared Newton logistic probe
/// (<see cref="LinearProbe"/>) instead of scikit-learn's SGDClassifier; candidates are scored every 500 iterations instead
/// of 1000; the early stop fires when the fresh classifier's dev accuracy is within max(ε, 1/n_dev) of the majority rate
/// (reference: ε alone) OR its dev log-loss is within <see cref="RlaceOptions.LossTolerance"/> of the best constant
/// predictor's (not in the reference); the game's classifier is a k-output softmax (for k = 2 equivalent to the reference's
/// single logit with BCE). On the notebook-02 data this stops after 1 500–7 000 iterations (≈ 1 s on one core)
/// instead of running toward the reference's 75 000.
/// The data are centred on the mean of all rows (the game is about directions; the eraser is centred on μ).
/// </summary>
public static class Rlace
{
    public static RlaceResult Fit(Tensor x, Tensor labels, RlaceOptions? options = null)
    {
        var o = options ?? new RlaceOptions();
        InputChecks.Features(x);
        InputChecks.SameRows(x, labels, "x", "labels");
        long d = x.shape[1], n = x.shape[0];
        if (o.Rank < 1 || o.Rank >= d) throw new ArgumentException($"Rank must be in 1..{d - 1} but is {o.Rank}.");
        if (o.Iterations < 1 || o.EvalEvery < 1) throw new ArgumentException("Iterations and EvalEvery must be ≥ 1.");
        if (o.BatchSize < 0) throw new ArgumentException($"BatchSize must be ≥ 0 (0 = full batch) but is {o.BatchSize}.");
        if (!(o.DevFraction > 0 && o.DevFraction < 1)) throw new ArgumentException($"DevFraction must be in (0, 1) but is {o.DevFraction}.");
        if (!ConceptLabels.IsCategorical(labels)) throw new ArgumentException("RLACE needs integer class labels.");
        int k = ConceptLabels.ClassCount(labels);
        var probeOptions = o.Probe ?? ProbeOptions.Default;
        var dev = x.device;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad(); // gradients are written out by hand (cheaper than autograd for this small game)
        using var g = Seeding.Generator(o.Seed);
        var x64 = x.to_type(ScalarType.Float64);
        var mu = x64.mean([0L]);
        var xc = x64 - mu;
        var y = labels.to(ScalarType.Int64, dev);
        // Train/dev split: the game and the fresh classifiers train on "train"; candidates are scored on "dev".
        long nDev = Math.Clamp((long)Math.Round(n * o.DevFraction), 1, n - 2);
        var perm = randperm(n, generator: g).to(dev);
        var xTr = xc.index_select(0, perm[(int)nDev..]); var yTr = y.index_select(0, perm[(int)nDev..]);
        var xDev = xc.index_select(0, perm[..(int)nDev]); var yDev = y.index_select(0, perm[..(int)nDev]);
        long nTr = xTr.shape[0];
        long batch = o.BatchSize == 0 ? nTr : Math.Min(o.BatchSize, nTr);
        var yOneTr = nn.functional.one_hot(yTr, k).to_type(ScalarType.Float64);
        double majority = LinearProbe.MajorityRate(yDev);
        // Dev accuracy moves in steps of 1/n_dev: a tolerance below one row could only be met by an exact tie.
        double stopWithin = Math.Max(o.Epsilon, 1.0 / nDev);
        // Dev log-loss of the best constant predictor (the training-split class priors): a fresh linear classifier whose dev
        // loss reaches it finds no usable linear information, so further ascent can only chase noise.
        var prior = (bincount(yTr, minlength: k).to_type(ScalarType.Float64) + 0.5) / (nTr + 0.5 * k);
        double constantLoss = -prior.log().index_select(0, yDev).mean().item<double>();

        // Classifier θ = (W [k, d], b [k]) — softmax over k scores (for k = 2 equivalent to the reference's single logit).
        var w = randn([k, d], dtype: ScalarType.Float64, generator: g).to(dev) * (1.0 / Math.Sqrt(d));
        var b = zeros(k, dtype: ScalarType.Float64, device: dev);
        // P starts as the Fantope projection of 0.1·(R + Rᵀ)/2, R ~ N(0, 1) (the reference starts from 0.1·R).
        var r0 = randn([d, d], dtype: ScalarType.Float64, generator: g).to(dev) * 0.1;
        var p = FantopeProject((r0 + r0.t()) / 2, o.Rank);
        var eye = torch.eye(d, dtype: ScalarType.Float64, device: dev);

        var losses = new List<double>();
        Tensor? bestU = null; double bestLoss = double.NegativeInfinity; int bestIt = -1, it = 0;
        Tensor? order = null; long cursor = nTr;
        Tensor NextBatch()
        {
            if (batch == nTr) return arange(nTr, device: dev);
            if (cursor + batch > nTr) { order?.Dispose(); order = randperm(nTr, generator: g).to(dev).DetachFromDisposeScope(); cursor = 0; }
            var idx = order![(int)cursor..(int)(cursor + batch)];
            cursor += batch;
            return idx;
        }
        // Numbers held as native scalars for the whole loop (see Runtime/Scalars: TorchSharp's per-call temporaries can be
        // finalised mid-call by a GC on another thread).
        using Scalar sDecayP = (1 - o.LearningRate * o.AdversaryWeightDecay).ToScalar(), sMinusLrP = (-o.LearningRate).ToScalar(),
            sMinusLrC = (-o.ClassifierLearningRate).ToScalar(), sWdC = o.ClassifierWeightDecay.ToScalar(), sInvB = (1.0 / batch).ToScalar();
        try
        {
            for (; it < o.Iterations; it++)
            {
                using (var s = NewDisposeScope())
                {
                    // Adversary: SGD ascent on L(θ; X(I − P)), ∂L/∂P = −Xᵀ(G W) / B with G = softmax − onehot (symmetrised,
                    // since the loss uses sym(P)); weight decay, then projection onto F_k.
                    var idx = NextBatch();
                    var xb = xTr.index_select(0, idx); var yb = yOneTr.index_select(0, idx);
                    var h = xb - xb.matmul(p);
                    var gs = (h.matmul(w.t()) + b).softmax(1) - yb;                 // [B, k]
                    var gp = xb.t().matmul(gs.matmul(w)).mul_(sInvB);              // −∂L/∂P, [d, d]; ascent: P − lr·gp
                    gp = gp.add(gp.t(), Scalars.One).mul_(Scalars.Half);
                    var stepped = p.mul(sDecayP).add_(gp, sMinusLrP);
                    p.copy_(FantopeProject(stepped, o.Rank));
                    // Classifier: SGD descent on the same loss at the new P.
                    for (int c = 0; c < o.ClassifierSteps; c++)
                    {
                        var idc = NextBatch();
                        var xq = xTr.index_select(0, idc); var yq = yOneTr.index_select(0, idc);
                        var hq = xq - xq.matmul(p);
                        var gq = (hq.matmul(w.t()) + b).softmax(1) - yq;
                        var gw = gq.t().matmul(hq).mul_(sInvB).add_(w, sWdC);
                        var gb = gq.mean([0L]).add_(b, sWdC);
                        w.add_(gw, sMinusLrC);
                        b.add_(gb, sMinusLrC);
                    }
                }
                if (it % o.EvalEvery == 0 || it == o.Iterations - 1)
                {
                    using var s = NewDisposeScope();
                    var u = TopEigenvectors(p, o.Rank);
                    var (loss, acc) = ScoreCandidate(xTr, yTr, xDev, yDev, u, k, probeOptions);
                    losses.Add(loss);
                    if (loss > bestLoss)
                    {
                        bestLoss = loss; bestIt = it;
                        bestU?.Dispose();
                        bestU = u.clone().DetachFromDisposeScope();
                    }
                    if (Math.Abs(acc - majority) <= stopWithin + 1e-12 || loss >= constantLoss - o.LossTolerance) { it++; break; }
                }
            }
        }
        finally { order?.Dispose(); }
        var eraser = new AffineEraser("rlace", bestU!, bestU!.t(), mu);
        bestU!.Dispose();
        using var erased = eraser.Apply(x64);
        var final = LinearProbe.Fit(erased, labels, probeOptions);
        return new RlaceResult(eraser, final.Accuracy, final.ChanceLevel, bestIt, losses, it);
    }

    /// <summary>Fresh classifier (the shared Newton logistic probe, L2 from <paramref name="probe"/>) on X_train(I − UUᵀ),
    /// scored on X_dev(I − UUᵀ): mean dev log-loss and dev accuracy.</summary>
    static (double Loss, double Accuracy) ScoreCandidate(Tensor xTr, Tensor yTr, Tensor xDev, Tensor yDev, Tensor u, int k, ProbeOptions probe)
    {
        var etr = xTr - xTr.matmul(u).matmul(u.t());
        var edev = xDev - xDev.matmul(u).matmul(u.t());
        var (coef, intercept, _, _) = LinearProbe.Train(etr, yTr, k, probe.L2, probe.MaxIterations, probe.Tolerance);
        var scores = edev.matmul(coef.t()) + intercept;                                   // [n, 1] (binary logit) or [n, k]
        if (k == 2) scores = cat([zeros_like(scores), scores], 1);
        double loss = Losses.Compute(LossKind.CrossEntropy, scores, yDev).item<double>();
        double acc = Evaluate.Accuracy(scores, yDev);
        return (loss, acc);
    }

    /// <summary>Euclidean projection of a symmetric matrix onto F_k: eigenvalues λᵢ → clip(λᵢ − θ, 0, 1) with θ found by bisection so they sum to k.</summary>
    internal static Tensor FantopeProject(Tensor sym, int rank)
    {
        using var scope = NewDisposeScope();
        var (l, v) = linalg.eigh(sym);
        var lam = l.cpu().data<double>().ToArray();
        double lo = lam.Min() - 1, hi = lam.Max();
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            double sum = lam.Sum(x => Math.Clamp(x - mid, 0, 1));
            if (sum > rank) lo = mid; else hi = mid;
        }
        double theta = (lo + hi) / 2;
        var clipped = (l - theta).clamp(0, 1);
        return (v * clipped).matmul(v.t()).MoveToOuterDisposeScope();
    }

    static Tensor TopEigenvectors(Tensor a, int rank)
    {
        var (_, v) = linalg.eigh((a + a.t()) / 2);
        return v[.., (int)(a.shape[0] - rank)..];
    }
}
