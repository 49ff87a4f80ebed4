using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Options of <see cref="Rlace"/>.</summary>
/// <param name="Rank">k: dimensions removed.</param>
/// <param name="Iterations">Alternating full-batch steps.</param>
/// <param name="LearningRate">Adam step size of the adversary (the relaxed projection A).</param>
/// <param name="EvalEvery">Every this many steps the discrete projection is scored with a fresh probe; the best is kept.</param>
/// <param name="Seed">Seed of the initial classifier and relaxed projection.</param>
/// <param name="Probe">Probe used to score candidate projections.</param>
/// <param name="ClassifierSteps">Classifier (min player) Adam steps per adversary step. Keep it small: for a relaxed A
/// with eigenvalues &lt; 1, X(I − A) is invertible and a fully adapted classifier undoes it, so the adversary's gradient
/// vanishes at the classifier's best response; the game progresses through the classifier's lag (as in the original
/// 1:1 alternation) and its weight decay.</param>
/// <param name="ClassifierWeightDecay">L2 weight decay of the classifier (limits how far it can rescale to undo A).</param>
/// <param name="ClassifierLearningRate">Adam step size of the classifier.</param>
public sealed record RlaceOptions(int Rank = 1, int Iterations = 300, double LearningRate = 0.01, int EvalEvery = 50, long Seed = 0, ProbeOptions? Probe = null, int ClassifierSteps = 1, double ClassifierLearningRate = 0.01, double ClassifierWeightDecay = 1e-3);

/// <summary>Result of <see cref="Rlace.Fit"/>.</summary>
/// <param name="Eraser">x′ = x − UUᵀ(x − μ) with U the top-k eigenvectors of the best relaxed solution.</param>
/// <param name="ProbeAccuracy">Held-out accuracy of a fresh probe on the erased data.</param>
/// <param name="ChanceLevel">Majority-class rate of the held-out rows.</param>
/// <param name="BestIteration">Step whose projection was kept.</param>
/// <param name="AdversaryLoss">Classifier loss on the relaxed projection at each step (the game's value trace).</param>
public sealed record RlaceResult(AffineEraser Eraser, double ProbeAccuracy, double ChanceLevel, int BestIteration, IReadOnlyList<double> AdversaryLoss);

/// <summary>
/// Relaxed Linear Adversarial Concept Erasure (R-LACE, Ravfogel et al. 2022, eq. 4–6): the minimax game
/// max_{A ∈ F_k} min_θ L(θ; X(I − A)) over the Fantope F_k = {A = Aᵀ : 0 ⪯ A ⪯ I, tr A = k}, the convex hull of
/// rank-k orthogonal projections, solved by alternating gradient steps (Adam) — descent for the logistic /
/// softmax classifier θ, ascent for A followed by the Euclidean projection onto F_k (clip the eigenvalues to
/// [0, 1] after a shift that makes them sum to k; Vu et al. 2013). The final eraser projects out the top-k
/// eigenvectors of A (centred on the mean); among candidates scored every <see cref="RlaceOptions.EvalEvery"/>
/// steps the one whose fresh probe is closest to chance is kept.
/// </summary>
public static class Rlace
{
    public static RlaceResult Fit(Tensor x, Tensor labels, RlaceOptions? options = null)
    {
        var o = options ?? new RlaceOptions();
        InputChecks.Features(x);
        InputChecks.SameRows(x, labels, "x", "labels");
        long d = x.shape[1];
        if (o.Rank < 1 || o.Rank >= d) throw new ArgumentException($"Rank must be in 1..{d - 1} but is {o.Rank}.");
        if (o.Iterations < 1 || o.EvalEvery < 1) throw new ArgumentException("Iterations and EvalEvery must be ≥ 1.");
        if (!ConceptLabels.IsCategorical(labels)) throw new ArgumentException("RLACE needs integer class labels.");
        int k = ConceptLabels.ClassCount(labels);
        var probeOptions = o.Probe ?? ProbeOptions.Default;
        var dev = x.device;

        using var scope = NewDisposeScope();
        using var g = Seeding.Generator(o.Seed);
        var x64 = x.to_type(ScalarType.Float64);
        var mu = x64.mean([0L]);
        var xc = (x64 - mu).detach();
        var y = labels.to(ScalarType.Int64, dev);

        var w = nn.Parameter(randn([k, d], dtype: ScalarType.Float64, generator: g).to(dev) * 0.01);
        var b = nn.Parameter(zeros(k, dtype: ScalarType.Float64, device: dev));
        Tensor a0;
        using (no_grad())
        {
            var r = randn([d, d], dtype: ScalarType.Float64, generator: g).to(dev);
            a0 = FantopeProject((r + r.t()) / 2, o.Rank);
        }
        var a = nn.Parameter(a0);
        var optTheta = optim.Adam([w, b], lr: o.ClassifierLearningRate, weight_decay: o.ClassifierWeightDecay);
        var optA = optim.Adam([a], lr: o.LearningRate);
        var eye = torch.eye(d, dtype: ScalarType.Float64, device: dev);

        var losses = new List<double>();
        Tensor? bestU = null; double bestGap = double.PositiveInfinity; int bestIt = -1;
        for (int it = 0; it < o.Iterations; it++)
        {
            using var s = NewDisposeScope();
            // Classifier: descent on L(θ; X(I − A)).
            var h = xc.matmul(eye - a.detach());
            for (int c = 0; c < o.ClassifierSteps; c++)
            {
                optTheta.zero_grad();
                var lossTheta = nn.functional.cross_entropy(h.matmul(w.t()) + b, y);
                lossTheta.backward();
                optTheta.step();
            }
            // Adversary: ascent on the same loss, then projection onto the Fantope.
            optA.zero_grad();
            var h2 = xc.matmul(eye - a);
            var lossA = nn.functional.cross_entropy(h2.matmul(w.detach().t()) + b.detach(), y);
            (-lossA).backward();
            optA.step();
            using (no_grad())
            {
                var proj = FantopeProject((a + a.t()) / 2, o.Rank);
                a.copy_(proj);
            }
            if (it % o.EvalEvery == o.EvalEvery - 1 || it == o.Iterations - 1)
            {
                losses.Add(lossA.item<double>());
                using var ng = no_grad();
                var u = TopEigenvectors(a, o.Rank);
                var xe = x64 - xc.matmul(u).matmul(u.t());
                var probe = LinearProbe.Fit(xe, labels, probeOptions);
                double gap = Math.Abs(probe.Accuracy - probe.ChanceLevel);
                if (gap < bestGap)
                {
                    bestGap = gap; bestIt = it;
                    bestU?.Dispose();
                    bestU = u.clone().DetachFromDisposeScope();
                }
            }
        }
        using var noGrad = no_grad();
        var eraser = new AffineEraser("rlace", bestU!, bestU!.t(), mu);
        bestU!.Dispose();
        using var erased = eraser.Apply(x64);
        var final = LinearProbe.Fit(erased, labels, probeOptions);
        return new RlaceResult(eraser, final.Accuracy, final.ChanceLevel, bestIt, losses);
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
