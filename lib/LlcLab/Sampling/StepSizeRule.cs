using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>A step size chosen by <see cref="StepSizeRule.Choose"/>, the estimate at it, and the ε values tried (largest first).</summary>
public sealed record StepSizeChoice(SgldOptions Sgld, LlcResult Result, IReadOnlyList<double> Tried)
{
    /// <summary>The ε reached.</summary>
    public double Lr => Sgld.Lr!.Value;
    /// <summary>Whether the last estimate meets the MALA rule (or MALA was not computed).</summary>
    public bool MalaOk => DiagnosticThresholds.MalaOk(Result.Diagnostics.MalaAcceptance);
}

/// <summary>
/// devinterp's step-size rule, applied at one model before a comparison: the discretisation error of ε is negligible when the MALA
/// acceptance of the chain's own transitions is ≥ <see cref="DiagnosticThresholds.MinMalaAcceptance"/> (Roberts &amp; Tweedie 1996;
/// with minibatches it is scored on transitions whose two ends see one batch, <see cref="MalaObserver"/>). Start at the given ε; while
/// the acceptance is below the threshold, halve ε and estimate again, at most <c>maxHalvings</c> times. Each halving doubles the
/// burn-in, so ε·γ·burn-in — the number of relaxation times 1/(εγ) of the localised chain before the first draw — stays the same.
/// The caller then uses the chosen settings for every model it compares, so all of them share one sampler.
/// This is a one-dimensional search at one model; <see cref="Calibration"/> is the full ε × γ sweep with the flatness test.
/// </summary>
public static class StepSizeRule
{
    /// <summary>Chooses ε at <paramref name="model"/> on (x, y) (MALA is switched on); returns the settings reached and the estimate at them.</summary>
    public static StepSizeChoice Choose(Network model, Tensor x, Tensor y, SgldOptions sgld, int maxHalvings = 2, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sgld);
        if (maxHalvings < 0) throw new ArgumentException($"maxHalvings must be ≥ 0, got {maxHalvings}.", nameof(maxHalvings));
        var o = sgld with { Lr = sgld.ResolveLr(sgld.ResolveNBeta(x.shape[0])) };
        var tried = new List<double> { o.Lr!.Value };
        var r = Llc.Estimate(model, x, y, o);
        for (int k = 0; k < maxHalvings && o.ComputeMala && r.Diagnostics.MalaAcceptance is { } m && m < DiagnosticThresholds.MinMalaAcceptance; k++)
        {
            log?.Invoke(FormattableString.Invariant($"MALA {m:F2} < {DiagnosticThresholds.MinMalaAcceptance} at ε = {o.Lr:G3}: ε → {o.Lr / 2:G3}"));
            o = o with { Lr = o.Lr / 2, BurnIn = o.BurnIn * 2 };
            tried.Add(o.Lr!.Value);
            r = Llc.Estimate(model, x, y, o);
        }
        return new StepSizeChoice(o, r, tried);
    }
}
