using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Options of <see cref="LinearSvm"/>.</summary>
/// <param name="C">Penalty weight of the summed squared hinge loss (LIBLINEAR / scikit-learn LinearSVC convention).</param>
/// <param name="TestFraction">Held-out fraction for the accuracy (0 = training rows).</param>
/// <param name="Seed">Seed of the train/test permutation.</param>
/// <param name="MaxIterations">Newton iterations at most (per one-vs-rest problem).</param>
/// <param name="Tolerance">Stop when ‖∇f‖_∞ ≤ Tolerance·max(1, C·n).</param>
public sealed record SvmOptions(double C = 1.0, double TestFraction = 0.25, long Seed = 0, int MaxIterations = 100, double Tolerance = 1e-12);

/// <summary>
/// Linear support-vector machine with the squared hinge loss (the L2-SVM that LinearSVC fits by default):
/// minimise f(w, b) = ½‖w‖² + C Σᵢ max(0, 1 − yᵢ(w·xᵢ + b))², yᵢ ∈ {−1, +1}, the intercept unpenalised,
/// by the finite Newton method of Keerthi &amp; DeCoste (2005): on the active set I = {i : yᵢoᵢ &lt; 1},
/// ∇f = R·β + 2C X̃_Iᵀ(o_I − y_I), generalised Hessian R + 2C X̃_IᵀX̃_I (R = diag(1,…,1,0)), Armijo line search.
/// k &gt; 2 classes: one-vs-rest. The loss is convex, so after LEACE (equal class means) w = 0 is the unique
/// optimum (Belrose et al. 2023, Thm 3.1; strict convexity of ½‖w‖²).
/// </summary>
public static class LinearSvm
{
    public static ProbeResult Fit(Tensor x, Tensor z, SvmOptions? options = null)
    {
        var o = options ?? new SvmOptions();
        if (!(o.C > 0)) throw new ArgumentException($"C must be positive but is {o.C}.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var data = ProbeData.Prepare(x, z, o.TestFraction, o.Seed, null);
        int k = data.Classes;
        var problems = k == 2 ? new[] { 1L } : Enumerable.Range(0, k).Select(c => (long)c).ToArray();
        var ws = new List<Tensor>(); var bs = new List<Tensor>();
        int maxIt = 0; bool allConverged = true;
        foreach (var cls in problems)
        {
            var ypm = where(data.YTrain == cls, 1.0, -1.0).to_type(ScalarType.Float64);
            var (w, b, it, conv) = TrainBinary(data.XTrain, ypm, o.C, o.MaxIterations, o.Tolerance);
            ws.Add(w); bs.Add(b); maxIt = Math.Max(maxIt, it); allConverged &= conv;
        }
        var coef = stack(ws); var intercept = cat(bs);
        var result = new ProbeResult("svm", 0, 0, data.Chance(), k, coef, intercept, maxIt, allConverged, data.XTrain.shape[0], data.HasTest ? data.XTest.shape[0] : 0);
        result = result with { Accuracy = result.AccuracyOn(data.XTest, data.YTest), TrainAccuracy = result.AccuracyOn(data.XTrain, data.YTrain) };
        coef.MoveToOuterDisposeScope(); intercept.MoveToOuterDisposeScope();
        return result;
    }

    static (Tensor W, Tensor B, int Iterations, bool Converged) TrainBinary(Tensor x, Tensor y, double c, int maxIter, double tol)
    {
        long n = x.shape[0], d = x.shape[1];
        var xt = cat([x, ones(n, 1, dtype: ScalarType.Float64, device: x.device)], 1);
        var r = ones(d + 1, dtype: ScalarType.Float64, device: x.device); r[d] = 0;
        var beta = zeros(d + 1, dtype: ScalarType.Float64, device: x.device);
        double scale = Math.Max(1, c * n);

        double F(Tensor bb)
        {
            using var s = NewDisposeScope();
            var m = (1 - y * xt.matmul(bb)).clamp_min(0);
            return (0.5 * (bb * bb * r).sum() + c * m.Squared().sum()).item<double>();
        }

        double f = F(beta);
        int it = 0; bool converged = false;
        for (; it < maxIter; it++)
        {
            using var s = NewDisposeScope();
            var o = xt.matmul(beta);
            var active = (y * o < 1).to_type(ScalarType.Float64);
            var g = r * beta + 2 * c * xt.t().matmul(active * (o - y));
            double gmax = g.abs().max().item<double>();
            if (gmax <= tol * scale) { converged = true; break; }
            var xa = xt * active.unsqueeze(1);
            var h = diag(r) + 2 * c * xa.t().matmul(xa);
            var step = LinearProbe.PseudoSolve(h, g);
            double slope = (g * step).sum().item<double>();
            double t = 1, fNext = f; Tensor? next = null;
            for (int ls = 0; ls < 40; ls++)
            {
                next = beta - step * t;
                fNext = F(next);
                if (fNext <= f - 1e-4 * t * slope || fNext <= f) break;
                t /= 2;
            }
            if (next is null || fNext > f) { converged = gmax <= Math.Sqrt(tol) * scale; break; }
            beta.copy_(next);
            f = fNext;
        }
        return (beta[..(int)d].clone(), beta[(int)d..].clone(), it, converged);
    }
}
