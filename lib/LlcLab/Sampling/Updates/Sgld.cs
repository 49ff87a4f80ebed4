using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// Stochastic-gradient Langevin dynamics with localization (Welling &amp; Teh 2011; Lau et al. 2023, eq. 11):
/// <code>w ← w − (ε/2)·[nβ·∇L_B(w) + γ(w − w*) + δ·w] + N(0, ε·σ²)</code>
/// ε = step size, nβ, γ, δ from <see cref="SgmcmcOptions"/>, σ = noise level. Computed in the fused form
/// <code>w ← lerp(w, γ/(γ+δ)·w*, ε(γ+δ)/2) − (εnβ/2)·∇L_B(w) + σ√ε·ξ</code>
/// (lerp(a, b, t) = a + t(b − a)), three in-place passes over the flat weights plus the noise draw straight into a
/// preallocated buffer with standard deviation σ√ε: no per-step allocation.
/// </summary>
public sealed class Sgld : ISgmcmcUpdate, IDisposable
{
    readonly double noiseLevel;
    Tensor[]? noise;
    Tensor[]? pullTarget;
    Tensor? lerpWeight;
    Scalar? gradStep;
    double noiseStd;
    bool stepped;

    /// <param name="lr">Step size ε.</param>
    /// <param name="noiseLevel">σ (1 = the Langevin posterior).</param>
    public Sgld(double lr, double noiseLevel = 1.0)
    {
        if (!(lr > 0) || !double.IsFinite(lr)) throw new ArgumentException($"The SGLD step size ε (--lr) must be a positive number, got {lr}.");
        if (!(noiseLevel > 0)) throw new ArgumentException($"The SGLD noise level σ must be positive, got {noiseLevel}.");
        StepSize = lr; this.noiseLevel = noiseLevel;
    }

    public string Name => "sgld";
    public double StepSize { get; }
    public IReadOnlyList<Tensor>? Noise => stepped ? noise : null;

    public void Initialize(SgmcmcState state, Generator generator)
    {
        Dispose();
        var o = state.Options;
        double eps = StepSize, pull = o.Localization + o.WeightDecay;
        noise = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        pullTarget = pull > 0
            ? state.Centers.Select(c => c.mul(o.Localization / pull).DetachFromDisposeScope()).ToArray()
            : null;
        // lerp_ takes its weight as a tensor: a 0-dim one, made once.
        lerpWeight = pull > 0 ? tensor((float)(eps * pull / 2), device: state.Target.Device).DetachFromDisposeScope() : null;
        gradStep = (-eps * o.NBeta / 2).ToScalar();
        noiseStd = Math.Sqrt(eps) * noiseLevel;
        stepped = false;
    }

    public void Step(SgmcmcState state, Generator generator)
    {
        var w = state.Weights;
        var g = state.Gradients;
        for (int i = 0; i < w.Count; i++)
        {
            noise![i].normal_(0, noiseStd, generator);
            if (pullTarget is not null) w[i].lerp_(pullTarget[i], lerpWeight!);
            w[i].add_(g[i], gradStep!).add_(noise[i], Scalars.One);
        }
        stepped = true;
    }

    public void Dispose()
    {
        if (noise is not null) foreach (var t in noise) t.Dispose();
        if (pullTarget is not null) foreach (var t in pullTarget) t.Dispose();
        lerpWeight?.Dispose(); gradStep?.Dispose();
        noise = null; pullTarget = null; lerpWeight = null; gradStep = null;
    }
}
