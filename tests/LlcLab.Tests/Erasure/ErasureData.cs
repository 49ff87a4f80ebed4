using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

/// <summary>Deterministic synthetic data for the erasure tests: an anisotropic Gaussian per class.</summary>
internal static class ErasureData
{
    /// <summary>
    /// n rows in d dimensions, labels uniform over k classes, x = m_y + (g ⊙ s)·R with class means m_j ~ N(0, sep²),
    /// feature scales s log-spaced over [0.1, 10] and a random rotation R — so LEACE, the orthogonal projection and
    /// the mean-difference projection all differ.
    /// </summary>
    public static (Tensor X, Tensor Y) Gaussian(long n, long d, int k, long seed, double sep = 1.0, ScalarType dtype = ScalarType.Float64)
    {
        using var g = Seeding.Generator(seed);
        using var scope = NewDisposeScope();
        var y = randint(0, k, [n], dtype: ScalarType.Int64, generator: g);
        var means = randn([k, d], dtype: ScalarType.Float64, generator: g) * sep;
        var scales = logspace(-1, 1, d, dtype: ScalarType.Float64);
        var (rot, _) = linalg.qr(randn([d, d], dtype: ScalarType.Float64, generator: g));
        var x = (randn([n, d], dtype: ScalarType.Float64, generator: g) * scales).matmul(rot) + means.index_select(0, y);
        return (x.to_type(dtype).MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>Sample cross-covariance (a − ā)ᵀ(b − b̄)/(n − 1) in float64.</summary>
    public static Tensor Cov(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var a64 = a.to_type(ScalarType.Float64); var b64 = b.to_type(ScalarType.Float64);
        if (b64.dim() == 1) b64 = b64.unsqueeze(1);
        var ac = a64 - a64.mean([0L]); var bc = b64 - b64.mean([0L]);
        return (ac.t().matmul(bc) / (a.shape[0] - 1)).MoveToOuterDisposeScope();
    }

    public static Tensor OneHot(Tensor y, int k) => nn.functional.one_hot(y, k).to_type(ScalarType.Float64);

    public static double Norm(Tensor t) => t.to_type(ScalarType.Float64).norm().item<double>();

    public static double MaxAbs(Tensor t) => t.to_type(ScalarType.Float64).abs().max().item<double>();
}
