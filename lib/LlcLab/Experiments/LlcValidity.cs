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

    /// <summary>The fraction-below-L(w*) limit of the estimator's warning: 0.2 for full-batch chains, 0.45 with minibatches
    /// (minibatch losses scatter around L(w*) even at a minimum).</summary>
    public static double BelowLimit(LlcResult r) => r.Options.BatchSize is null || r.Options.BatchSize >= r.N ? 0.2 : 0.45;

    /// <summary>λ̂ &gt; 0, fraction of draws below L(w*) within <see cref="BelowLimit"/>, and gradient bias bound ≤ <paramref name="maxBound"/>
    /// (pass NaN for the bound to skip that part, e.g. for data-restricted estimates whose sampled loss is not the training loss).</summary>
    public static bool AtMinimum(LlcResult r, double biasBound, double maxBound = MaxBiasBound)
    {
        ArgumentNullException.ThrowIfNull(r);
        bool diag = double.IsFinite(r.Mean) && r.Mean > 0 && r.Diagnostics.FractionBelowInitLoss <= BelowLimit(r);
        return diag && (double.IsNaN(biasBound) || biasBound <= maxBound);
    }
}
