using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// The LEACE eraser of Belrose et al. 2023 (Thm 4.1):
/// r(x) = x − W⁺·U·Uᵀ·W·(x − μ), with W = (Σ_XX^{1/2})⁺ and U the left singular vectors of W·Σ_XZ.
/// Stored as <see cref="AffineEraser"/> factors L = W⁺U, R = UᵀW. It makes every linear predictor of Z
/// from r(x) no better than a constant (Cov(r(x), z) = 0, equal class means) while minimising
/// E‖r(x) − x‖² among all such affine erasers.
/// </summary>
public sealed class LeaceEraser : AffineEraser
{
    /// <summary>Singular values of W·Σ_XZ (all of them, before truncation), float64 on the CPU.</summary>
    public double[] SingularValues { get; }
    /// <summary>The options it was fitted with.</summary>
    public LeaceOptions Options { get; }
    /// <summary>Rank of Σ_XX after the eigenvalue tolerance (d unless X is rank-deficient).</summary>
    public long CovarianceRank { get; }
    /// <summary>Number of rows the statistics were computed from.</summary>
    public long SampleCount { get; }

    internal LeaceEraser(Tensor left, Tensor right, Tensor mean, double[] singularValues, LeaceOptions options, long covarianceRank, long n)
        : base(options.Method == ErasureMethod.Leace ? "leace" : "orth", left, right, mean)
    {
        SingularValues = singularValues; Options = options; CovarianceRank = covarianceRank; SampleCount = n;
    }
}
