using LlcLab.Erasure;
using LlcLab.Runtime;
using TorchSharp;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

/// <summary><see cref="LeaceOptions.ConstrainCovTrace"/> against a dense transcription of concept-erasure's <c>constrain_cov_trace</c>.</summary>
public class CovarianceTraceConstraintTests
{
    /// <summary>concept-erasure's code, line by line, on dense matrices: P = I − W⁺UUᵀW; if tr(PΣPᵀ) &gt; tr(Σ) mix with
    /// Q = I − UUᵀ by the root of the quadratic it solves.</summary>
    static Tensor ConceptErasureP(Tensor sigma, Tensor w, Tensor wInv, Tensor u)
    {
        long d = sigma.shape[0];
        var eye = torch.eye(d, dtype: ScalarType.Float64);
        var p = eye - wInv.matmul(u).matmul(u.t().matmul(w));
        double oldTrace = sigma.trace().item<double>();
        double newTrace = p.matmul(sigma).matmul(p.t()).trace().item<double>();
        if (!(newTrace > oldTrace)) return p;
        var q = eye - u.matmul(u.t());
        double x = newTrace, y = 2 * p.matmul(sigma).matmul(q.t()).trace().item<double>(), z = q.matmul(sigma).matmul(q.t()).trace().item<double>(), ww = oldTrace;
        double discr = Math.Sqrt(4 * ww * x - 4 * ww * y + 4 * ww * z - 4 * x * z + y * y);
        double a1 = (-y / 2 + z - discr / 2) / (x - y + z), a2 = (-y / 2 + z + discr / 2) / (x - y + z);
        double alpha = Math.Clamp(a1 > 0 ? a1 : a2, 0, 1);
        return p * alpha + q * (1 - alpha);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Mixes_with_the_orthogonal_projection_exactly_as_concept_erasure(int k)
    {
        // Exact LEACE never raises the trace (PΣPᵀ = Σ − Σ^½UUᵀΣ^½), so the constraint bites when W is not Σ's own whitening
        // (concept-erasure's case: shrinkage or truncation). Build such a W from another covariance.
        using var g = Seeding.Generator(5);
        long d = 7;
        var a = randn([d, d], dtype: ScalarType.Float64, generator: g);
        var sigma = a.matmul(a.t()) + torch.eye(d, dtype: ScalarType.Float64) * 0.1;
        var b = randn([d, d], dtype: ScalarType.Float64, generator: g) * torch.logspace(-1, 1, d, dtype: ScalarType.Float64);
        var (l, v) = linalg.eigh(b.matmul(b.t()) + torch.eye(d, dtype: ScalarType.Float64) * 0.01);
        var w = (v * l.rsqrt()).matmul(v.t());
        var wInv = (v * l.sqrt()).matmul(v.t());
        var (u, _) = linalg.qr(randn([d, k], dtype: ScalarType.Float64, generator: g));
        var left = wInv.matmul(u); var right = u.t().matmul(w);
        var pLeace = torch.eye(d, dtype: ScalarType.Float64) - left.matmul(right);
        Assert.True(pLeace.matmul(sigma).matmul(pLeace.t()).trace().item<double>() > sigma.trace().item<double>(), "the fixture must raise the trace");

        var (l2, r2) = CovarianceTraceConstraint.Apply(sigma, left, right, u);
        var ours = torch.eye(d, dtype: ScalarType.Float64) - l2.matmul(r2);
        var reference = ConceptErasureP(sigma, w, wInv, u);
        Assert.True(MaxAbs(ours - reference) < 1e-10, $"P differs from concept-erasure's by {MaxAbs(ours - reference):E2}");
        Assert.Equal(sigma.trace().item<double>(), ours.matmul(sigma).matmul(ours.t()).trace().item<double>(), 8);
        Assert.True(l2.shape[1] <= 2 * k);
    }

    [Fact]
    public void Leaves_exact_LEACE_alone_and_keeps_the_guarantee()
    {
        var (x, y) = Gaussian(1500, 10, 3, seed: 31, sep: 2.0);
        using var plain = Leace.Fit(x, y);
        using var constrained = Leace.Fit(x, y, LeaceOptions.Default with { ConstrainCovTrace = true });
        Assert.True(MaxAbs(plain.Matrix - constrained.Matrix) < 1e-12, "exact LEACE never raises the trace, so nothing changes");
        using var ce = Leace.Fit(x, y, LeaceOptions.ConceptErasureDefaults);
        using var x2 = ce.Apply(x);
        Assert.True(Norm(Cov(x2, OneHot(y, 3))) < 1e-10 * Norm(Cov(x, OneHot(y, 3))));
        using var c0 = Cov(x, x); using var c2 = Cov(x2, x2);
        Assert.True(c2.trace().item<double>() <= c0.trace().item<double>() * (1 + 1e-12));
    }
}
