using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// Stochastic-gradient Nosé–Hoover thermostat (Ding et al. 2014, Alg. 2) in devinterp's variables (u = p·h, η = h² = ε,
/// α = ξh), one thermostat α per chain:
/// <code>
/// u ← u − α·u − ε·∇U(w) + N(0, 2Aε·σ²)      ∇U(w) = nβ·∇L_B(w) + γ(w − w*) + δ·w
/// w ← w + u
/// α ← α + (‖u‖²/d − ε)
/// </code>
/// A = diffusion factor (devinterp 0.01), also α's initial value; u₀ ~ N(0, ε); d = moving parameters per chain.
/// </summary>
public sealed class Sgnht : ISgmcmcUpdate, IDisposable
{
    readonly double diffusion, noiseLevel;
    Tensor[]? momentum, noise;
    Tensor? thermostat;
    Scalar? sNBeta, sGamma, sDecay, sMinusLr, sLr, sPerParam;
    double noiseStd;
    bool stepped;

    /// <param name="lr">Step size ε.</param>
    /// <param name="diffusionFactor">A.</param>
    /// <param name="noiseLevel">σ.</param>
    public Sgnht(double lr, double diffusionFactor = 0.01, double noiseLevel = 1.0)
    {
        if (!(lr > 0) || !double.IsFinite(lr)) throw new ArgumentException($"The SGNHT step size ε (--lr) must be a positive number, got {lr}.");
        if (!(diffusionFactor > 0)) throw new ArgumentException($"The SGNHT diffusion factor must be positive, got {diffusionFactor}.");
        StepSize = lr; diffusion = diffusionFactor; this.noiseLevel = noiseLevel;
    }

    public string Name => "sgnht";
    public double StepSize { get; }
    public IReadOnlyList<Tensor>? Noise => stepped ? noise : null;

    public void Initialize(SgmcmcState state, Generator generator)
    {
        Dispose();
        var o = state.Options;
        double sq = Math.Sqrt(StepSize);
        momentum = state.Weights.Select(w => zeros_like(w).normal_(0, sq, generator).DetachFromDisposeScope()).ToArray();
        noise = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        thermostat = full([state.Chains], diffusion, ScalarType.Float32, state.Target.Device).DetachFromDisposeScope();
        sNBeta = o.NBeta.ToScalar();
        sGamma = o.Localization != 0 ? o.Localization.ToScalar() : null;
        sDecay = o.WeightDecay != 0 ? o.WeightDecay.ToScalar() : null;
        sMinusLr = (-StepSize).ToScalar(); sLr = StepSize.ToScalar();
        sPerParam = (1.0 / Math.Max(state.Target.MovingCount, 1)).ToScalar();
        noiseStd = Math.Sqrt(2 * diffusion * StepSize) * noiseLevel;
        stepped = false;
    }

    public void Step(SgmcmcState state, Generator generator)
    {
        using var scope = NewDisposeScope();
        var w = state.Weights;
        int C = state.Chains;
        var kinetic = zeros([C], ScalarType.Float32, state.Target.Device);
        for (int i = 0; i < w.Count; i++)
        {
            var u = momentum![i];
            var a = state.Target.ChainDim
                ? thermostat!.view(Enumerable.Range(0, (int)u.dim()).Select(k => k == 0 ? (long)C : 1L).ToArray())
                : thermostat!;
            var drift = state.PotentialGradient(i, sNBeta!, sGamma, sDecay);
            noise![i].normal_(0, noiseStd, generator);
            u.sub_(u.mul(a)).add_(drift, sMinusLr!).add_(noise[i], Scalars.One);
            w[i].add_(u, Scalars.One);
            kinetic.add_(state.ChainSum(u.Squared()), Scalars.One);
        }
        thermostat!.add_(kinetic.mul_(sPerParam!).sub_(sLr!), Scalars.One);
        stepped = true;
    }

    public void Dispose()
    {
        foreach (var set in new[] { momentum, noise }) if (set is not null) foreach (var t in set) t.Dispose();
        thermostat?.Dispose();
        foreach (var s in new[] { sNBeta, sGamma, sDecay, sMinusLr, sLr, sPerParam }) s?.Dispose();
        momentum = noise = null; thermostat = null;
        sNBeta = sGamma = sDecay = sMinusLr = sLr = sPerParam = null;
    }
}
