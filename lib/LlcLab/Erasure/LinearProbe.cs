using LlcLab.Models;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Options of <see cref="LinearProbe"/>.</summary>
/// <param name="L2">Ridge penalty λ on the weights (not the intercept) of the mean log-loss: f = mean NLL + (λ/2)‖C‖². 0 = unregularised.</param>
/// <param name="TestFraction">Held-out fraction for <see cref="ProbeResult.Accuracy"/> (0 = evaluate on the training rows).</param>
/// <param name="Seed">Seed of the train/test permutation.</param>
/// <param name="MaxIterations">Newton iterations at most.</param>
/// <param name="Tolerance">Stop when ‖∇f‖_∞ ≤ Tolerance.</param>
/// <param name="Classes">Number of classes (default: max label + 1).</param>
public sealed record ProbeOptions(double L2 = 1e-4, double TestFraction = 0.25, long Seed = 0, int MaxIterations = 100, double Tolerance = 1e-10, int? Classes = null)
{
    public static ProbeOptions Default { get; } = new();
    /// <summary>Unregularised, fitted and scored on all rows (for erasure guarantees).</summary>
    public static ProbeOptions Unregularised { get; } = new(L2: 0, TestFraction: 0);
}

/// <summary>
/// Logistic-regression probe (binary or multinomial with a reference class), fitted in float64 by
/// full-batch Newton's method with Armijo backtracking. With two classes the model is
/// p(z = 1 | x) = σ(x·c + b); with k classes p(z = j | x) ∝ exp(x·c_j + b_j), c_0 = 0, b_0 = 0 (identifiable
/// even without L2). Newton steps use an eigenvalue pseudo-inverse of the Hessian, so collinear features
/// (e.g. after erasure) are fine. Start: all parameters zero.
/// After LEACE the optimum has C = 0 exactly (Belrose et al. 2023, Thm 3.1/eq. 3: equal class-conditional
/// means make the constant predictor optimal for any convex loss).
/// </summary>
public static class LinearProbe
{
    /// <summary>The chance level of a probe: the majority-class rate max_c #{i : zᵢ = c} / n of integer labels <paramref name="labels"/>
    /// (what always predicting the most common class scores). The one definition; NaN for no rows.</summary>
    public static double MajorityRate(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.shape[0] == 0) return double.NaN;
        using var counts = bincount(labels.to(ScalarType.Int64).cpu());
        return counts.max().item<long>() / (double)labels.shape[0];
    }

    /// <summary>Fits a logistic probe to predict labels <paramref name="z"/> <c>[n]</c> from <paramref name="x"/> <c>[n, d]</c>.</summary>
    public static ProbeResult Fit(Tensor x, Tensor z, ProbeOptions? options = null)
    {
        var o = options ?? ProbeOptions.Default;
        if (!(o.L2 >= 0)) throw new ArgumentException($"L2 must be ≥ 0 but is {o.L2}.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var data = ProbeData.Prepare(x, z, o.TestFraction, o.Seed, o.Classes);
        var (coef, intercept, iters, converged) = Train(data.XTrain, data.YTrain, data.Classes, o.L2, o.MaxIterations, o.Tolerance);
        var result = new ProbeResult("logistic", 0, 0, data.Chance(), data.Classes, coef, intercept, iters, converged, data.XTrain.shape[0], data.HasTest ? data.XTest.shape[0] : 0);
        result = result with { Accuracy = result.AccuracyOn(data.XTest, data.YTest), TrainAccuracy = result.AccuracyOn(data.XTrain, data.YTrain) };
        coef.MoveToOuterDisposeScope(); intercept.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>Newton's method on the reference-class multinomial log-loss (K′ = k − 1 free classes).</summary>
    internal static (Tensor Coef, Tensor Intercept, int Iterations, bool Converged) Train(Tensor x, Tensor y, int k, double l2, int maxIter, double tol)
    {
        long n = x.shape[0], d = x.shape[1], D = d + 1;
        int kf = k - 1;
        // Centre the features: the intercept then decouples from the weights, and minimum-norm Newton steps
        // from zero keep the weights in the span of the centred data (no drift along directions x never varies in).
        var centre = x.mean([0L]);
        var xt = cat([x - centre, ones(n, 1, dtype: ScalarType.Float64, device: x.device)], 1); // [n, D]
        var yOne = nn.functional.one_hot(y, k).to_type(ScalarType.Float64)[.., 1..];             // [n, K′]
        var penalty = ones(D, dtype: ScalarType.Float64, device: x.device); penalty[d] = 0;      // no L2 on the intercept
        var b = zeros(D, kf, dtype: ScalarType.Float64, device: x.device);

        double Loss(Tensor bb)
        {
            using var s = NewDisposeScope();
            var o = xt.matmul(bb);
            var full = cat([zeros(n, 1, dtype: ScalarType.Float64, device: x.device), o], 1);
            var nll = Losses.Compute(LossKind.CrossEntropy, full, y);                             // class 0's logit is fixed at 0
            return (nll + 0.5 * l2 * (bb.Squared() * penalty.unsqueeze(1)).sum()).item<double>();
        }

        int it = 0; bool converged = false;
        double f = Loss(b);
        for (; it < maxIter; it++)
        {
            using var s = NewDisposeScope();
            var o = xt.matmul(b);
            var full = cat([zeros(n, 1, dtype: ScalarType.Float64, device: x.device), o], 1);
            var p = full.softmax(1)[.., 1..];                                                     // [n, K′]
            var g = xt.t().matmul(p - yOne) / n + l2 * b * penalty.unsqueeze(1);                 // [D, K′]
            double gmax = g.abs().max().item<double>();
            if (gmax <= tol) { converged = true; break; }
            var h = Hessian(xt, p, l2, penalty);                                                  // [K′D, K′D]
            var gv = g.t().reshape(-1);                                                            // (c, i) order
            var step = PseudoSolve(h, gv).reshape(kf, D).t();                                     // [D, K′]
            double slope = (gv * step.t().reshape(-1)).sum().item<double>();
            double t = 1; Tensor? next = null; double fNext = f;
            for (int ls = 0; ls < 40; ls++)
            {
                next = b - step * t;
                fNext = Loss(next);
                if (fNext <= f - 1e-4 * t * slope || fNext <= f) break;
                t /= 2;
            }
            if (next is null || fNext > f) { converged = gmax <= Math.Sqrt(tol); break; } // no descent possible: at the optimum up to rounding
            b.copy_(next);
            f = fNext;
        }
        // Back to uncentred features: s = (x − m)·C + b₀ = x·C + (b₀ − m·C).
        b[(int)d, ..].sub_(centre.matmul(b[..(int)d, ..]));
        Tensor coef, intercept;
        if (k == 2) { coef = b[..(int)d, ..].t().contiguous(); intercept = b[(int)d, ..].contiguous(); }
        else
        {
            coef = cat([zeros(1, d, dtype: ScalarType.Float64, device: x.device), b[..(int)d, ..].t()], 0);
            intercept = cat([zeros(1, dtype: ScalarType.Float64, device: x.device), b[(int)d, ..]], 0);
        }
        return (coef, intercept, it, converged);
    }

    /// <summary>H[(c,i),(e,j)] = (1/n) Σ_n x̃_ni x̃_nj (p_c δ_ce − p_c p_e) + λ δ_ce δ_ij [i not intercept], in row chunks.</summary>
    static Tensor Hessian(Tensor xt, Tensor p, double l2, Tensor penalty)
    {
        long n = xt.shape[0], D = xt.shape[1], kf = p.shape[1];
        var h = zeros(kf, kf, D, D, dtype: ScalarType.Float64, device: xt.device);
        long chunk = Math.Max(1, 4_000_000 / Math.Max(1, kf * kf * D));
        for (long s0 = 0; s0 < n; s0 += chunk)
        {
            using var sc = NewDisposeScope();
            long s1 = Math.Min(n, s0 + chunk);
            var xs = xt[(int)s0..(int)s1]; var ps = p[(int)s0..(int)s1];
            var w = diag_embed(ps) - ps.unsqueeze(2) * ps.unsqueeze(1);                          // [m, K′, K′]
            var y = (w.unsqueeze(3) * xs.unsqueeze(1).unsqueeze(1)).reshape(s1 - s0, -1);       // [m, K′K′D]
            h.add_(y.t().matmul(xs).reshape(kf, kf, D, D));
        }
        var hm = (h / n).permute(0, 2, 1, 3).reshape(kf * D, kf * D);
        return hm + diag((penalty * l2).repeat(kf));
    }

    /// <summary>Solves the symmetric PSD system H·s = g with eigenvalues below 1e-12·λ_max treated as zero (minimum-norm step).</summary>
    internal static Tensor PseudoSolve(Tensor h, Tensor g)
    {
        var (l, v) = linalg.eigh((h + h.t()) / 2);
        double lmax = l.max().item<double>();
        var inv = where(l > 1e-12 * Math.Max(lmax, 1e-300), 1.0 / l, zeros_like(l));
        return v.matmul(inv * v.t().matmul(g));
    }
}
