using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// Per chain and draw (devinterp's <c>WeightNorm</c>, <c>GradientNorm</c>, <c>NoiseNorm</c> callbacks, plus the distance
/// from w*): ‖w_t‖, ‖w_t − w*‖, ‖∇L_B(w_t)‖ and ‖ξ‖, the Gaussian noise the rule drew in the step that led to w_t (before
/// any preconditioning; NaN at step 0). Norms are over the moving parameters of each chain.
/// </summary>
public sealed class NormsObserver : ISgmcmcObserver, IDisposable
{
    DrawBuffer? weight, distance, gradient, noise;

    /// <summary>‖w_t‖ per chain and draw, <c>[chain][draw]</c> (after the run).</summary>
    public double[][] WeightNorm { get; private set; } = [];
    /// <summary>‖w_t − w*‖.</summary>
    public double[][] Distance { get; private set; } = [];
    /// <summary>‖∇L_B(w_t)‖.</summary>
    public double[][] GradientNorm { get; private set; } = [];
    /// <summary>‖ξ‖ of the step into w_t.</summary>
    public double[][] NoiseNorm { get; private set; } = [];

    public void OnStart(SgmcmcState state)
    {
        Dispose();
        var (d, c, dev) = (state.Options.Draws, state.Chains, state.Target.Device);
        weight = new DrawBuffer(d, c, dev); distance = new DrawBuffer(d, c, dev);
        gradient = new DrawBuffer(d, c, dev); noise = new DrawBuffer(d, c, dev);
    }

    public void OnStep(SgmcmcState s)
    {
        if (!s.IsDraw) return;
        using var scope = NewDisposeScope();
        weight!.Write(s.Draw, s.ChainSquaredNorm(s.Weights).sqrt_());
        distance!.Write(s.Draw, s.ChainSquaredNorm(s.Weights.Select((w, i) => w.add(s.Centers[i], Scalars.MinusOne)).ToList()).sqrt_());
        gradient!.Write(s.Draw, s.ChainSquaredNorm(s.Gradients).sqrt_());
        if (s.Update.Noise is { } xi) noise!.Write(s.Draw, s.ChainSquaredNorm(xi).sqrt_());
    }

    public void OnFinish(SgmcmcState state)
    {
        if (weight is null) return;
        WeightNorm = weight.ToHost(); Distance = distance!.ToHost(); GradientNorm = gradient!.ToHost(); NoiseNorm = noise!.ToHost();
        Dispose();
    }

    public void Dispose()
    {
        weight?.Dispose(); distance?.Dispose(); gradient?.Dispose(); noise?.Dispose();
        weight = distance = gradient = noise = null;
    }
}
