namespace LlcLab.Sampling;

/// <summary>
/// The one set of limits by which an LLC estimate is judged: the estimator's warnings (<see cref="Llc"/>), the
/// validity check of the experiments (<c>Analysis.LlcValidity</c>) and the calibration rule
/// (<see cref="Calibration"/>) all read them from here.
/// <list type="bullet">
/// <item>split-R̂ ≤ <see cref="MaxRHat"/> (Vehtari et al. 2021 suggest 1.01 for publication-grade MCMC; 1.1 is the
///   classical Gelman–Rubin limit and what short SGLD chains can reach).</item>
/// <item>MALA acceptance ≥ <see cref="MinMalaAcceptance"/> (devinterp's guidance: the discretisation error of the step
///   size ε is then small).</item>
/// <item>fraction of draws whose loss is below L(w*) ≤ <see cref="MaxFractionBelowInitLoss(int?, long)"/>: 0.2 for
///   full-batch chains; 0.45 with minibatches, where each recorded draw is compared with w* on its own batch
///   (<see cref="PairedLossObserver"/>: at a minimum P(L_B(w_t) &lt; L_B(w*)) ≈ Φ(−√(λB/2nβ)) &lt; ½, above ½ while descending).
///   More means w* is not a local minimum and λ̂ is biased low.</item>
/// <item>calibration flatness: λ̂ within max(<see cref="FlatnessRelativeTolerance"/>·|λ̂|, <see cref="FlatnessStandardErrors"/>
///   standard errors) of λ̂ at the next smaller ε.</item>
/// </list>
/// </summary>
public static class DiagnosticThresholds
{
    /// <summary>Largest accepted split-R̂ across chains.</summary>
    public const double MaxRHat = 1.1;

    /// <summary>Smallest accepted mean MALA acceptance probability.</summary>
    public const double MinMalaAcceptance = 0.9;

    /// <summary>Largest accepted fraction of draws below L(w*) for full-batch chains.</summary>
    public const double MaxFractionBelowFullBatch = 0.2;

    /// <summary>Largest accepted fraction of draws below L(w*) for minibatch chains.</summary>
    public const double MaxFractionBelowMinibatch = 0.45;

    /// <summary>Calibration: relative change of λ̂ between neighbouring step sizes still counted as flat.</summary>
    public const double FlatnessRelativeTolerance = 0.1;

    /// <summary>Calibration: change of λ̂ between neighbouring step sizes, in standard errors, still counted as flat.</summary>
    public const double FlatnessStandardErrors = 2.0;

    /// <summary>The fraction-below-L(w*) limit for chains with minibatch size <paramref name="batchSize"/> (null = full
    /// batch) on <paramref name="n"/> samples.</summary>
    public static double MaxFractionBelowInitLoss(int? batchSize, long n) =>
        batchSize is null || batchSize >= n ? MaxFractionBelowFullBatch : MaxFractionBelowMinibatch;

    /// <summary>The fraction-below-L(w*) limit that applies to <paramref name="r"/>.</summary>
    public static double MaxFractionBelowInitLoss(LlcResult r) => MaxFractionBelowInitLoss(r.Options.BatchSize, r.N);

    /// <summary>Chains agree: R̂ ≤ <see cref="MaxRHat"/>, or R̂ not computable (too few draws).</summary>
    public static bool RHatOk(double rHat) => !double.IsFinite(rHat) || rHat <= MaxRHat;

    /// <summary>Step size small enough: acceptance ≥ <see cref="MinMalaAcceptance"/>, or not computed.</summary>
    public static bool MalaOk(double? acceptance) => acceptance is not { } m || (double.IsFinite(m) && m >= MinMalaAcceptance);

    /// <summary>w* behaves as a local minimum: λ̂ &gt; 0 and the fraction of draws below L(w*) within its limit.</summary>
    public static bool AtMinimum(LlcResult r) =>
        double.IsFinite(r.Mean) && r.Mean > 0 && r.Diagnostics.FractionBelowInitLoss <= MaxFractionBelowInitLoss(r);

    /// <summary>Two λ̂ at neighbouring step sizes agree (calibration flatness); <paramref name="standardError"/> is the
    /// standard error of their difference.</summary>
    public static bool Flat(double previous, double current, double standardError) =>
        Math.Abs(current - previous) <= Math.Max(FlatnessRelativeTolerance * Math.Abs(previous), FlatnessStandardErrors * standardError);
}
