using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// The whitening pair of LEACE (Belrose et al. 2023, Thm 4.1): W = (Σ_XX^{1/2})⁺ and W⁺ = Σ_XX^{1/2},
/// from the eigendecomposition Σ = V diag(λ) Vᵀ. Eigenvalues λᵢ ≤ tol·λ_max are treated as zero
/// (pseudo-inverse), so rank-deficient X (constant or duplicated features) is handled: both W and W⁺
/// then act only on the range of Σ_XX, where all of X's variation lives.
/// </summary>
internal static class PsdSqrt
{
    /// <summary>Default relative eigenvalue tolerance: d·ε(float64), the threshold <c>torch.linalg.pinv</c> uses.</summary>
    public static double DefaultTolerance(long d, double epsilon = 2.220446049250313e-16) => d * epsilon;

    /// <summary>Returns (W, W⁺, rank) for the symmetric PSD matrix <paramref name="sigma"/>.</summary>
    public static (Tensor W, Tensor WInv, long Rank) Compute(Tensor sigma, double relTol)
    {
        using var scope = NewDisposeScope();
        var sym = (sigma + sigma.t()) / 2;
        var (l, v) = linalg.eigh(sym);
        double lmax = l.max().item<double>();
        var mask = l > Math.Max(lmax, 0) * relTol;
        var lc = l.clamp_min(0);
        var zero = zeros_like(lc);
        var rs = where(mask, lc.rsqrt(), zero);
        var sq = where(mask, lc.sqrt(), zero);
        var w = (v * rs).matmul(v.t());
        var wInv = (v * sq).matmul(v.t());
        long rank = mask.sum().item<long>();
        w.MoveToOuterDisposeScope(); wInv.MoveToOuterDisposeScope();
        return (w, wInv, rank);
    }
}
