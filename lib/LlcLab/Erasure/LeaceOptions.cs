namespace LlcLab.Erasure;

/// <summary>Which whitening the closed-form eraser uses.</summary>
public enum ErasureMethod
{
    /// <summary>LEACE: W = Σ_XX^{-1/2}, the least-squares-optimal eraser (Belrose et al. 2023, Thm 4.1).</summary>
    Leace,
    /// <summary>W = I: orthogonal projection onto the complement of col(Σ_XZ) — the "SAL" eraser
    /// (Shao et al. 2023); equals the mean-difference projection for one-hot class labels.</summary>
    Orthogonal,
}

/// <summary>
/// Options of the closed-form LEACE / orthogonal fitter. Defaults give exact LEACE.
/// </summary>
/// <param name="Method">LEACE (whitened) or orthogonal (W = I).</param>
/// <param name="Shrinkage">Estimator of Σ_XX (LEACE only). Default None: the erasure guarantee
/// Cov(x′, z) = 0 holds for any invertible W, shrinkage only trades minimality for stability when n ≲ d.</param>
/// <param name="SvdRelativeTolerance">Singular values σᵢ of W·Σ_XZ with σᵢ ≤ tol·σ_max are dropped. Relative,
/// so the scale of Z does not matter. 1e-8 drops the exactly-degenerate direction of one-hot labels
/// (σ ≈ 1e-16·σ_max) and keeps every real one. (concept-erasure uses an absolute 0.01.)</param>
/// <param name="EigenvalueRelativeTolerance">Eigenvalues λᵢ of Σ_XX with λᵢ ≤ tol·λ_max count as zero in the
/// pseudo-inverse square root; null = d·ε of the input dtype (d·1.2e-7 for float32 data, d·2.2e-16 for float64), as
/// <c>torch.linalg.pinv</c> does for its input: smaller eigenvalues are rounding noise of the data, not directions it varies in.</param>
/// <param name="MaxRank">Keep at most this many singular directions (SAL's top-r); null = all above tolerance.</param>
/// <param name="Affine">Centre the edit on the mean (x′ = x − Q(x − μ), preserving E[x]); false gives the linear
/// eraser x′ = x − Qx.</param>
/// <param name="ConstrainCovTrace">concept-erasure's <c>constrain_cov_trace</c> (LEACE only): if the eraser P = I − Q would
/// increase the total variance, tr(PΣPᵀ) &gt; tr(Σ), replace it by the mixture αP + (1 − α)(I − UUᵀ) with the orthogonal
/// projection whose trace equals tr(Σ) (<see cref="CovarianceTraceConstraint"/>), so hidden states cannot grow when erasers
/// are stacked in a network. Exact LEACE never raises the trace (PΣPᵀ = Σ − Σ^½UUᵀΣ^½), so this only acts in numerical edge
/// cases. Default false here (exact LEACE, Thm 4.1); concept-erasure's default is true (<see cref="ConceptErasureDefaults"/>).</param>
public sealed record LeaceOptions(
    ErasureMethod Method = ErasureMethod.Leace,
    Shrinkage Shrinkage = Shrinkage.None,
    double SvdRelativeTolerance = 1e-8,
    double? EigenvalueRelativeTolerance = null,
    int? MaxRank = null,
    bool Affine = true,
    bool ConstrainCovTrace = false)
{
    /// <summary>Exact LEACE (Belrose et al. 2023, Thm 4.1): no shrinkage, no trace constraint.</summary>
    public static LeaceOptions Default { get; } = new();
    /// <summary>The orthogonal ("SAL") eraser, W = I.</summary>
    public static LeaceOptions Orthogonal { get; } = new(Method: ErasureMethod.Orthogonal);
    /// <summary>concept-erasure's <c>LeaceFitter</c> defaults: optimal linear shrinkage of Σ_XX and <c>constrain_cov_trace=True</c>.
    /// (Its absolute <c>svd_tol=0.01</c> is not copied: the tolerance here is relative to σ_max, so it does not depend on the scale of Z.)</summary>
    public static LeaceOptions ConceptErasureDefaults { get; } = new(Shrinkage: Shrinkage.OptimalLinear, ConstrainCovTrace: true);
}
