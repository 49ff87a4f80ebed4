using LlcLab.Sampling;

namespace LlcLab.Analysis;

/// <summary>The checks an LLC estimate must pass to be read as a learning coefficient (<see cref="LlcValidity"/>).</summary>
public enum LlcCheck
{
    /// <summary>λ̂ is finite and &gt; 0.</summary>
    PositiveLambda,
    /// <summary>Fraction of draws below L(w*) within <see cref="LlcValidity.BelowLimit"/> (else w* is not a local minimum).</summary>
    BelowInitLoss,
    /// <summary>Gradient bias bound (nβ‖∇L(w*)‖)²/2γ ≤ the limit (<see cref="Stationarity"/>).</summary>
    GradBiasBound,
    /// <summary>Split-R̂ of the per-draw LLC across chains ≤ <see cref="LlcValidity.MaxRHat"/> (the chains agree).</summary>
    RHat,
    /// <summary>Mean MALA acceptance of the SGLD proposal ≥ <see cref="LlcValidity.MinMalaAcceptance"/> (ε small enough).</summary>
    Mala,
}

/// <summary>One evaluated check: the observed value, the limit, and whether it passed.</summary>
public sealed record LlcCheckResult(LlcCheck Check, double Value, double Limit, bool Passed)
{
    /// <summary>snake_case name used in result rows (<c>llc_check_{name}</c>) and messages.</summary>
    public string Name => LlcValidity.CheckName(Check);
}

/// <summary>All checks of one estimate; checks that could not be evaluated (R̂ with one chain, MALA not computed, the bias
/// bound passed as NaN) are absent, not failed.</summary>
public sealed record LlcValidityVerdict(IReadOnlyList<LlcCheckResult> Checks)
{
    /// <summary>Every evaluated check passed.</summary>
    public bool Valid => Checks.All(c => c.Passed);
    /// <summary>The minimum checks alone (λ̂ &gt; 0, draws below L(w*), gradient bias bound) passed.</summary>
    public bool AtMinimum => Checks.Where(c => c.Check is LlcCheck.PositiveLambda or LlcCheck.BelowInitLoss or LlcCheck.GradBiasBound).All(c => c.Passed);
    /// <summary>The checks that failed.</summary>
    public IEnumerable<LlcCheckResult> Failed => Checks.Where(c => !c.Passed);
    /// <summary>"valid", or the failed checks with their values, e.g. "r_hat 1.34 > 1.1; mala 0.82 &lt; 0.9".</summary>
    public string Describe() => Valid ? "valid" : string.Join("; ", Failed.Select(c => FormattableString.Invariant(
        $"{c.Name} {c.Value:G3} {(c.Check is LlcCheck.Mala or LlcCheck.PositiveLambda ? "<" : ">")} {c.Limit:G3}")));
}

/// <summary>
/// Whether an LLC estimate may be read as a learning coefficient. λ̂ (Lau et al. 2023, eq. 13) is defined at a local
/// minimum w* of the sampled loss and is only trustworthy when the sampler is healthy. <see cref="Check"/> evaluates:
/// λ̂ &gt; 0 and few draws below L(w*) (the same limits as the estimator's "not a local minimum" warning, <see cref="LlcDiagnostics"/>);
/// the gradient bias bound of <see cref="Stationarity"/>; split-R̂ ≤ <see cref="MaxRHat"/> (Vehtari et al. 2021); MALA acceptance
/// ≥ <see cref="MinMalaAcceptance"/> (devinterp's guidance). The sampler thresholds are defined here, in one place, until the
/// Sampling diagnostics own them.
/// </summary>
public static class LlcValidity
{
    /// <summary>Largest accepted gradient bias bound (nβ‖g‖)²/2γ, in λ̂ units (≈ 10% of λ̂ for the digits MLPs).</summary>
    public const double MaxBiasBound = 1.0;

    // Sampler-health thresholds: the one definition in Sampling/DiagnosticThresholds (warnings, validity and calibration alike).
    /// <summary>Largest accepted split-R̂ of the per-draw LLC.</summary>
    public const double MaxRHat = DiagnosticThresholds.MaxRHat;
    /// <summary>Smallest accepted mean MALA acceptance probability of the proposal.</summary>
    public const double MinMalaAcceptance = DiagnosticThresholds.MinMalaAcceptance;

    /// <summary>The fraction-below-L(w*) limit of the estimator's warning (0.2 full batch, 0.45 with minibatches).</summary>
    public static double BelowLimit(LlcResult r) => DiagnosticThresholds.MaxFractionBelowInitLoss(r);

    /// <summary>Every check of <paramref name="r"/>; pass NaN for <paramref name="biasBound"/> to skip the bias bound (e.g. for
    /// data-restricted estimates whose sampled loss is not the training loss).</summary>
    public static LlcValidityVerdict Check(LlcResult r, double biasBound, double maxBound = MaxBiasBound)
    {
        ArgumentNullException.ThrowIfNull(r);
        var d = r.Diagnostics;
        var checks = new List<LlcCheckResult>
        {
            new(LlcCheck.PositiveLambda, r.Mean, 0, double.IsFinite(r.Mean) && r.Mean > 0),
            new(LlcCheck.BelowInitLoss, d.FractionBelowInitLoss, BelowLimit(r), d.FractionBelowInitLoss <= BelowLimit(r)),
        };
        if (!double.IsNaN(biasBound)) checks.Add(new(LlcCheck.GradBiasBound, biasBound, maxBound, biasBound <= maxBound));
        if (r.PerChain.Length > 1) checks.Add(new(LlcCheck.RHat, d.RHat, MaxRHat, double.IsFinite(d.RHat) && d.RHat <= MaxRHat));
        if (d.MalaAcceptance is double m) checks.Add(new(LlcCheck.Mala, m, MinMalaAcceptance, m >= MinMalaAcceptance));
        return new LlcValidityVerdict(checks);
    }

    /// <summary>True when every check of <see cref="Check"/> passes.</summary>
    public static bool IsValid(LlcResult r, double biasBound, double maxBound = MaxBiasBound) => Check(r, biasBound, maxBound).Valid;

    /// <summary>The minimum checks only: λ̂ &gt; 0, fraction of draws below L(w*) within <see cref="BelowLimit"/>, and gradient bias
    /// bound ≤ <paramref name="maxBound"/> (NaN skips it). Sampler health (R̂, MALA) is not part of this; see <see cref="IsValid"/>.</summary>
    public static bool AtMinimum(LlcResult r, double biasBound, double maxBound = MaxBiasBound) => Check(r, biasBound, maxBound).AtMinimum;

    /// <summary>snake_case name of a check: positive_lambda, below_init_loss, grad_bias_bound, r_hat, mala.</summary>
    public static string CheckName(LlcCheck c) => c switch
    {
        LlcCheck.PositiveLambda => "positive_lambda",
        LlcCheck.BelowInitLoss => "below_init_loss",
        LlcCheck.GradBiasBound => "grad_bias_bound",
        LlcCheck.RHat => "r_hat",
        LlcCheck.Mala => "mala",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
    };
}
