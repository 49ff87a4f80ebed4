using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Tasks;

/// <summary>Synthetic erasure problem with a known concept direction.</summary>
/// <param name="X">[n, d] float32 features.</param>
/// <param name="Z">[n] int64 binary concept.</param>
/// <param name="Direction">[d] unit vector along which the concept shifts the data.</param>
public sealed record SyntheticErasureData(Tensor X, Tensor Z, Tensor Direction)
{
    /// <summary>
    /// Anisotropic Gaussian data with a binary concept: x = A·g + (2z − 1)·δ·u with g ~ N(0, I), A a random matrix
    /// with singular values spread over [0.2, 3] (so Σ_XX is far from isotropic and LEACE ≠ orthogonal projection),
    /// u a random unit vector, δ the concept strength.
    /// </summary>
    public static SyntheticErasureData Create(int n = 5000, int dim = 16, double strength = 1.0, long seed = 0)
    {
        if (n < 10 || dim < 2) throw new ArgumentException($"Need n ≥ 10 and dim ≥ 2 (got n = {n}, dim = {dim}).");
        TorchRuntime.Initialize();
        using var g = Seeding.Generator(seed);
        using var scope = NewDisposeScope();
        var q1 = linalg.qr(randn([dim, dim], dtype: ScalarType.Float64, generator: g)).Q;
        var q2 = linalg.qr(randn([dim, dim], dtype: ScalarType.Float64, generator: g)).Q;
        var s = linspace(0.2, 3.0, dim, dtype: ScalarType.Float64);
        var a = q1.matmul(diag(s)).matmul(q2.T);
        var u = randn([dim], dtype: ScalarType.Float64, generator: g);
        u = u / u.norm();
        var z = randint(2, [n], generator: g, dtype: ScalarType.Int64);
        var x = randn([n, dim], dtype: ScalarType.Float64, generator: g).matmul(a.T) + (z.to(ScalarType.Float64) * 2 - 1).unsqueeze(1) * (strength * u).unsqueeze(0);
        var result = new SyntheticErasureData(x.to(ScalarType.Float32).MoveToOuterDisposeScope(), z.MoveToOuterDisposeScope(), u.to(ScalarType.Float32).MoveToOuterDisposeScope());
        return result;
    }
}
