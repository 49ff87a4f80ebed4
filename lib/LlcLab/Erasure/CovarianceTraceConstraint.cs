using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// concept-erasure's <c>constrain_cov_trace</c> (EleutherAI concept-erasure, <c>LeaceFitter.eraser</c>). The LEACE eraser
/// P = I − W⁺UUᵀW is oblique, so tr(PΣPᵀ) can exceed tr(Σ); applied repeatedly inside a network (scrubbing), hidden
/// states may then grow without bound. When tr(PΣPᵀ) &gt; tr(Σ) = w, P is replaced by P_α = αP + (1 − α)Q with the
/// orthogonal projection Q = I − UUᵀ, α ∈ [0, 1] solving tr(P_α Σ P_αᵀ) = w. With x = tr(PΣPᵀ), y = 2 tr(PΣQᵀ),
/// z = tr(QΣQᵀ) this is the quadratic α²(x − y + z) + α(y − 2z) + z − w = 0, whose roots are
/// α = (−y/2 + z ∓ √(4wx − 4wy + 4wz − 4xz + y²)/2) / (x − y + z); the smaller is taken if positive, else the larger,
/// clamped to [0, 1] — exactly concept-erasure's choice. When W is Σ's own whitening (exact LEACE, with or without shrinkage,
/// Σ being the same estimate in both places) PΣPᵀ = Σ − Σ^½UUᵀΣ^½, so the trace never rises and the constraint is a guard
/// against numerical edge cases (truncated eigenvalues); when it does act, Q·Σ_XZ ≠ 0 in general, so the mixture trades
/// some erasure for bounded variance.
/// Here the edit stays in factored form, I − P_α = α·W⁺UUᵀW + (1 − α)·UUᵀ = [αW⁺U, (1 − α)U]·[UᵀW; Uᵀ], compressed to
/// its exact rank by QR and a small SVD (concept-erasure takes a full d×d SVD of I − P_α); traces are computed from the
/// factors in O(d²k), never forming a d×d product.
/// </summary>
internal static class CovarianceTraceConstraint
{
    /// <summary>Returns the (possibly mixed) factors (L, R) of the edit I − P for LEACE factors
    /// <paramref name="left"/> = W⁺U, <paramref name="right"/> = UᵀW, <paramref name="u"/> = U, and covariance <paramref name="sigma"/>.</summary>
    public static (Tensor Left, Tensor Right) Apply(Tensor sigma, Tensor left, Tensor right, Tensor u)
    {
        double w = sigma.trace().item<double>();
        var ut = u.t();
        // tr((I − A)Σ(I − B)ᵀ) for edits A = La·Ra, B = Lb·Rb.
        double Tr(Tensor la, Tensor ra, Tensor lb, Tensor rb) =>
            w - ra.matmul(sigma).matmul(la).trace().item<double>() - rb.matmul(sigma).matmul(lb).trace().item<double>()
              + ra.matmul(sigma).matmul(rb.t()).matmul(lb.t().matmul(la)).trace().item<double>();
        double x = Tr(left, right, left, right);
        if (!(x > w)) return (left, right);
        double y = 2 * Tr(left, right, u, ut);
        double z = Tr(u, ut, u, ut);
        double discr = Math.Sqrt(Math.Max(0, 4 * w * x - 4 * w * y + 4 * w * z - 4 * x * z + y * y));
        double den = x - y + z;
        double a1 = (-y / 2 + z - discr / 2) / den, a2 = (-y / 2 + z + discr / 2) / den;
        double alpha = Math.Clamp(a1 > 0 ? a1 : a2, 0, 1);
        var l = cat([left * alpha, u * (1 - alpha)], 1);
        var r = cat([right, ut], 0);
        return Compress(l, r);
    }

    /// <summary>L·R = Q₁(R₁R₂ᵀ)Q₂ᵀ with L = Q₁R₁, Rᵀ = Q₂R₂; the SVD A S Bᵀ of the small middle gives L′ = Q₁A√S, R′ = √S Bᵀ Q₂ᵀ
    /// with the singular values below 1e-12·σ_max dropped (concept-erasure's u·√s, √s·vh).</summary>
    static (Tensor, Tensor) Compress(Tensor l, Tensor r)
    {
        var (q1, r1) = linalg.qr(l);
        var (q2, r2) = linalg.qr(r.t());
        var (a, s, bt) = linalg.svd(r1.matmul(r2.t()), fullMatrices: false);
        double smax = s.max().item<double>();
        long keep = (s > 1e-12 * smax).sum().item<long>();
        var sq = s[..(int)keep].sqrt();
        var lo = q1.matmul(a[.., ..(int)keep] * sq);
        var ro = (bt[..(int)keep] * sq.unsqueeze(1)).matmul(q2.t());
        return (lo, ro);
    }
}
