using LlcLab.Sampling;

namespace LlcLab.Experiments;

/// <summary>
/// Whether an LLC estimate may be read as a learning coefficient: λ̂ (Lau et al. 2023, eq. 13) is defined at a local
/// minimum w* of the sampled loss. The check combines the estimator's own diagnostics (<see cref="LlcDiagnostics"/>:
/// λ̂ &gt; 0 and few draws below L(w*), the same limits as its "not a local minimum" warning) with the gradient bias
/// bound of <see cref="Stationarity"/>.
/// </summary>
public static class LlcValidity
{
    /// <summary>Largest accepted gradient bias bound (nβ‖g‖)²/2γ, in λ̂ units (≈ 10% of λ̂ for the digits MLPs).</summary>
    public const double MaxBiasBound = 1.0;

    /// <summary>λ̂ &gt; 0, fraction of draws below L(w*) within <see cref="DiagnosticThresholds.MaxFractionBelowInitLoss(LlcResult)"/>,
    /// and gradient bias bound ≤ <paramref name="maxBound"/>
    /// (pass NaN for the bound to skip that part, e.g. for data-restricted estimates whose sampled loss is not the training loss).</summary>
    public static bool AtMinimum(LlcResult r, double biasBound, double maxBound = MaxBiasBound)
    {
        ArgumentNullException.ThrowIfNull(r);
        return DiagnosticThresholds.AtMinimum(r) && (double.IsNaN(biasBound) || biasBound <= maxBound);
    }
}
