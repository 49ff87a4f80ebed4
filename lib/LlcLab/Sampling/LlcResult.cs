using LlcLab.Models;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlcLab.Sampling;

/// <summary>
/// Sampler health (devinterp reports none of these except MALA): split-R̂ and bulk ESS of the per-draw LLC across
/// chains (Vehtari et al. 2021), the fraction of draws whose loss is below L(w*) (w* is not a local minimum: the
/// model is still training and λ̂ is biased low), and the mean MALA acceptance probability of the SGLD proposal
/// (≈ 1 means ε is small enough that the discretisation error is negligible; devinterp suggests ≳ 0.9).
/// </summary>
/// <param name="RHat">Split-R̂ of the per-draw LLC across chains.</param>
/// <param name="Ess">Bulk effective sample size.</param>
/// <param name="FractionBelowInitLoss">The minimum check's fraction: with minibatches, of recorded draws whose loss is below the loss of w*
/// on the same batch (<see cref="PairedLossObserver"/>, <see cref="PairedMinimumCheck"/>); with full batches, of draws below L(w*).</param>
/// <param name="MalaAcceptance">Mean MALA acceptance probability (null when not computed).</param>
/// <param name="Warnings">What failed, in words, with the fix.</param>
public sealed record LlcDiagnostics(
    double RHat,
    double Ess,
    double FractionBelowInitLoss,
    double? MalaAcceptance,
    IReadOnlyList<string> Warnings)
{
    /// <summary>True when <see cref="FractionBelowInitLoss"/> is the paired fraction (minibatch chains: L_B(w_t) &lt; L_B(w*)).</summary>
    public bool PairedMinimumCheck { get; init; }

    /// <summary>The unpaired fraction of draws whose minibatch loss is below the full-data L(w*) (what the check read before it was
    /// paired; near ½ at a minimum when λ/nβ is small against the batch-to-batch spread). Equals <see cref="FractionBelowInitLoss"/>
    /// when the check is not paired.</summary>
    public double FractionBelowUnpaired { get; init; } = double.NaN;
}

/// <summary>Wall-clock timings in seconds.</summary>
public sealed record LlcTimings(double InitLossSeconds, double SamplingSeconds, double StepsPerSecond);

/// <summary>
/// Result of one LLC estimate. λ̂_c = nβ·(mean over draws of L_B(w_t) − L(w*)) for chain c (Lau et al. eq. 13);
/// <see cref="Mean"/> and <see cref="Std"/> are across chains (std with the n−1 divisor; 0 for one chain).
/// <see cref="LlcTrace"/>[c][t] is the <em>per-draw</em> value nβ·(L_B(w_t) − L(w*)) (devinterp's <c>llc/trace</c>);
/// its running mean is <see cref="RunningLlc"/>. <see cref="ElapsedSeconds"/> covers the L(w*) evaluation and sampling.
/// </summary>
public sealed record LlcResult(
    double Mean,
    double Std,
    double[] PerChain,
    double[][] LlcTrace,
    double[][] LossTrace,
    double InitLoss,
    double NBeta,
    long N,
    long MovingParameters,
    IReadOnlyList<string> SampledParameters,
    LossKind Loss,
    bool Vectorized,
    SgldOptions Options,
    LlcDiagnostics Diagnostics,
    double ElapsedSeconds,
    LlcTimings Timings)
{
    /// <summary>Running mean of the per-draw LLC for chain <paramref name="chain"/> (how λ̂ converges with draws).</summary>
    public double[] RunningLlc(int chain)
    {
        var t = LlcTrace[chain];
        var r = new double[t.Length];
        double s = 0;
        for (int i = 0; i < t.Length; i++) { s += t[i]; r[i] = s / (i + 1); }
        return r;
    }

    /// <summary>Standard error of the mean across chains (std/√chains).</summary>
    public double StdError => PerChain.Length > 1 ? Std / Math.Sqrt(PerChain.Length) : double.NaN;

    public override string ToString() =>
        $"λ̂ = {Mean:F3} ± {Std:F3} ({PerChain.Length} chains × {Options.Draws} draws, nβ = {NBeta:F1}, L(w*) = {InitLoss:G4}, " +
        $"R̂ = {Diagnostics.RHat:F3}, ESS = {Diagnostics.Ess:F0}{(Diagnostics.MalaAcceptance is { } m ? $", MALA = {m:F3}" : "")}, {ElapsedSeconds:F2} s)";

    /// <summary>The record as the JSON that <c>llclab estimate</c> writes (snake_case keys).</summary>
    public string ToJson(IReadOnlyDictionary<string, object?>? extra = null)
    {
        var o = new Dictionary<string, object?>
        {
            ["llc_mean"] = Mean,
            ["llc_std"] = Std,
            ["llc_per_chain"] = PerChain,
            ["init_loss"] = InitLoss,
            ["nbeta"] = NBeta,
            ["n"] = N,
            ["loss"] = Loss == LossKind.CrossEntropy ? "ce" : "mse",
            ["lr"] = Options.Lr,
            ["localization"] = Options.Localization,
            ["chains"] = Options.Chains,
            ["draws"] = Options.Draws,
            ["burnin"] = Options.BurnIn,
            ["steps_between_draws"] = Options.StepsBetweenDraws,
            ["batch_size"] = Options.BatchSize,
            ["seed"] = Options.Seed,
            ["sampler"] = Options.Sampler switch { SamplerKind.RmspropSgld => "rmsprop-sgld", SamplerKind.Sgnht => "sgnht", _ => "sgld" },
            ["weight_decay"] = Options.WeightDecay,
            ["noise_level"] = Options.NoiseLevel,
            ["bounding_box"] = Options.BoundingBox,
            ["init_loss_mode"] = Options.InitLoss == InitLossMode.FullData ? "full-data" : "batches",
            ["sampled_parameters"] = SampledParameters,
            ["moving_parameters"] = MovingParameters,
            ["vectorized"] = Vectorized,
            ["r_hat"] = Finite(Diagnostics.RHat),
            ["ess"] = Finite(Diagnostics.Ess),
            ["fraction_below_init_loss"] = Diagnostics.FractionBelowInitLoss,
            ["minimum_check"] = Diagnostics.PairedMinimumCheck ? "paired" : "unpaired",
            ["fraction_below_init_loss_unpaired"] = Finite(Diagnostics.FractionBelowUnpaired),
            ["mala_acceptance"] = Diagnostics.MalaAcceptance is { } m ? Finite(m) : null,
            ["warnings"] = Diagnostics.Warnings,
            ["elapsed_seconds"] = ElapsedSeconds,
            ["init_loss_seconds"] = Timings.InitLossSeconds,
            ["sampling_seconds"] = Timings.SamplingSeconds,
            ["loss_trace"] = LossTrace,
            ["llc_trace"] = LlcTrace,
        };
        if (extra is not null) foreach (var (k, v) in extra) o[k] = v;
        return JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never });
    }

    static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
