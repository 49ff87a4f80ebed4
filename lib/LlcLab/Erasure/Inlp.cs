using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Options of <see cref="Inlp"/>.</summary>
/// <param name="MaxIterations">Classifier/projection rounds at most (Ravfogel et al. 2020 used up to 35).</param>
/// <param name="ChanceMargin">Stop once the held-out probe accuracy is ≤ chance + margin.</param>
/// <param name="Probe">The linear classifier of each round (default: L2 logistic regression, 25% held out).</param>
/// <param name="SvdRelativeTolerance">New directions whose component outside the current basis is below this
/// fraction of their norm are ignored.</param>
public sealed record InlpOptions(int MaxIterations = 20, double ChanceMargin = 0.01, ProbeOptions? Probe = null, double SvdRelativeTolerance = 1e-8);

/// <summary>One INLP round: the probe trained on data erased by the rounds before it, and the eraser after this round.</summary>
/// <param name="Iteration">0-based round.</param>
/// <param name="ProbeAccuracy">Held-out accuracy of this round's probe (on x erased by rounds &lt; Iteration).</param>
/// <param name="ChanceLevel">Majority-class rate of the held-out rows.</param>
/// <param name="Rank">Rank of the cumulative projection after this round.</param>
/// <param name="Eraser">The cumulative eraser after this round: trace LLC along these to follow INLP step by step.</param>
public sealed record InlpIteration(int Iteration, double ProbeAccuracy, double ChanceLevel, long Rank, AffineEraser Eraser);

/// <summary>Result of <see cref="Inlp.Fit"/>.</summary>
/// <param name="Eraser">The final eraser (identity when the first probe is already at chance).</param>
/// <param name="Iterations">One entry per projection round.</param>
/// <param name="FinalAccuracy">Held-out accuracy of a probe trained on the final erased data.</param>
/// <param name="ChanceLevel">Majority-class rate of the held-out rows.</param>
/// <param name="ReachedChance">Whether <paramref name="FinalAccuracy"/> ≤ chance + margin.</param>
public sealed record InlpResult(AffineEraser Eraser, IReadOnlyList<InlpIteration> Iterations, double FinalAccuracy, double ChanceLevel, bool ReachedChance);

/// <summary>
/// Iterative Nullspace Projection (Ravfogel et al. 2020, Alg. 1): repeatedly train a linear classifier for z
/// on the current representation, add its weight vectors to a basis B, and project onto the intersection of
/// the classifiers' nullspaces, P = I − BBᵀ (the complement of their rowspace, eq. 3), until a freshly trained
/// probe is at chance level. Here the projection is centred on the mean, x′ = x − BBᵀ(x − μ), which shifts
/// x′ by a constant only and keeps E[x].
/// </summary>
public static class Inlp
{
    public static InlpResult Fit(Tensor x, Tensor labels, InlpOptions? options = null)
    {
        var o = options ?? new InlpOptions();
        if (o.MaxIterations < 1) throw new ArgumentException($"MaxIterations must be ≥ 1 but is {o.MaxIterations}.");
        InputChecks.Features(x);
        InputChecks.SameRows(x, labels, "x", "labels");
        var probeOptions = o.Probe ?? ProbeOptions.Default;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x64 = x.to_type(ScalarType.Float64);
        var mu = x64.mean([0L]);
        long d = x.shape[1];
        var basis = zeros(d, 0, dtype: ScalarType.Float64, device: x.device);
        var iterations = new List<InlpIteration>();
        double acc = 0, chance = 0;
        for (int i = 0; ; i++)
        {
            var xi = basis.shape[1] == 0 ? x64 : x64 - (x64 - mu).matmul(basis).matmul(basis.t());
            var probe = LinearProbe.Fit(xi, labels, probeOptions);
            acc = probe.Accuracy; chance = probe.ChanceLevel;
            if (acc <= chance + o.ChanceMargin || i == o.MaxIterations) break;
            var dirs = probe.Coefficients.t();                                        // [d, c]
            var resid = dirs - basis.matmul(basis.t().matmul(dirs));
            var (u, s, _) = linalg.svd(resid, fullMatrices: false);
            double ref0 = dirs.norm().item<double>();
            var sv = s.cpu().data<double>().ToArray();
            int keep = sv.Count(v => v > o.SvdRelativeTolerance * ref0);
            if (keep == 0) break; // the probe found nothing new: cannot make progress
            basis = cat([basis, u[.., ..keep]], 1);
            iterations.Add(new InlpIteration(i, acc, chance, basis.shape[1], new AffineEraser("inlp", basis, basis.t(), mu)));
        }
        var final = new AffineEraser("inlp", basis, basis.t(), mu);
        return new InlpResult(final, iterations, acc, chance, acc <= chance + o.ChanceMargin);
    }
}
