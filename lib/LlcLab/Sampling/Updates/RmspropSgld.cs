using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// RMSProp-preconditioned SGLD (Li, Chen, Carlson &amp; Carin 2016, pSGLD), as devinterp's <c>rmsprop_sgld</c>
/// (<c>SGMCMC.rmsprop_sgld</c>, RMSpropPreconditioner): with g = ∇L_B(w) the raw minibatch-loss gradient,
/// <code>
/// V ← α·V + (1 − α)·g⊙g                     (V₀ = 0)
/// G = 1/(√V + λ)                            (elementwise)
/// w ← w − (ε/2)·G⊙[nβ·g + γ(w − w*) + δ·w] + √(ε·G)⊙N(0, σ²)
/// </code>
/// α = <c>alpha</c> (devinterp 0.99), λ = <c>eps</c> (devinterp 0.1). G is the same for the gradient and the prior terms and
/// its square root scales the noise, so the step is a Langevin step with diagonal mass G; <see cref="Preconditioner"/>
/// exposes it for MALA's preconditioned proposal N(w − (ε/2)G⊙∇U, εG). Hitchcock &amp; Hoogland (2025) found this rule
/// represents local geometry best among devinterp's samplers.
/// </summary>
public sealed class RmspropSgld : ISgmcmcUpdate, IDisposable
{
    readonly double alpha, eps, noiseLevel;
    Tensor[]? squareAvg, precond, noise;
    Scalar? sAlpha, sOneMinusAlpha, sEps, sNBeta, sGamma, sDecay, sMinusHalfLr;
    double noiseStd;
    bool stepped;

    /// <param name="lr">Step size ε.</param>
    /// <param name="alpha">Decay α of the squared-gradient average.</param>
    /// <param name="eps">λ added to √V.</param>
    /// <param name="noiseLevel">σ.</param>
    public RmspropSgld(double lr, double alpha = 0.99, double eps = 0.1, double noiseLevel = 1.0)
    {
        if (!(lr > 0) || !double.IsFinite(lr)) throw new ArgumentException($"The RMSProp-SGLD step size ε (--lr) must be a positive number, got {lr}.");
        if (alpha is not (> 0 and < 1)) throw new ArgumentException($"RMSProp-SGLD alpha must be in (0, 1), got {alpha}.");
        if (!(eps > 0)) throw new ArgumentException($"RMSProp-SGLD eps must be positive, got {eps}.");
        StepSize = lr; this.alpha = alpha; this.eps = eps; this.noiseLevel = noiseLevel;
    }

    public string Name => "rmsprop-sgld";
    public double StepSize { get; }
    public IReadOnlyList<Tensor>? Preconditioner => stepped ? precond : null;
    public IReadOnlyList<Tensor>? Noise => stepped ? noise : null;

    public void Initialize(SgmcmcState state, Generator generator)
    {
        Dispose();
        var o = state.Options;
        squareAvg = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        precond = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        noise = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        sAlpha = alpha.ToScalar(); sOneMinusAlpha = (1 - alpha).ToScalar(); sEps = eps.ToScalar();
        sNBeta = o.NBeta.ToScalar();
        sGamma = o.Localization != 0 ? o.Localization.ToScalar() : null;
        sDecay = o.WeightDecay != 0 ? o.WeightDecay.ToScalar() : null;
        sMinusHalfLr = (-StepSize / 2).ToScalar();
        noiseStd = Math.Sqrt(StepSize) * noiseLevel;
        stepped = false;
    }

    public void Step(SgmcmcState state, Generator generator)
    {
        var w = state.Weights;
        var g = state.Gradients;
        for (int i = 0; i < w.Count; i++)
        {
            squareAvg![i].mul_(sAlpha!).addcmul_(g[i], g[i], sOneMinusAlpha!);
            var G = precond![i].copy_(squareAvg[i]).sqrt_().add_(sEps!).reciprocal_();
            using var drift = state.PotentialGradient(i, sNBeta!, sGamma, sDecay);
            noise![i].normal_(0, noiseStd, generator);
            w[i].addcmul_(G, drift, sMinusHalfLr!);
            using var rootG = G.sqrt();
            w[i].addcmul_(rootG, noise[i], Scalars.One);
        }
        stepped = true;
    }

    public void Dispose()
    {
        foreach (var set in new[] { squareAvg, precond, noise }) if (set is not null) foreach (var t in set) t.Dispose();
        foreach (var s in new[] { sAlpha, sOneMinusAlpha, sEps, sNBeta, sGamma, sDecay, sMinusHalfLr }) s?.Dispose();
        squareAvg = precond = noise = null;
        sAlpha = sOneMinusAlpha = sEps = sNBeta = sGamma = sDecay = sMinusHalfLr = null;
    }
}
