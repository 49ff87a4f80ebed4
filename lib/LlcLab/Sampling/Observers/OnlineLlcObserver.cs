using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// The online (running) LLC per chain, computed on the device as the chains run (devinterp's <c>OnlineLLCEstimator</c>):
/// after draw k, λ̂_c(k) = nβ·((1/(k+1))·Σ_{j≤k} L_B(w_j) − L(w*)). Its last value is the chain's λ̂; plotted against k it
/// shows whether λ̂ has settled.
/// </summary>
/// <param name="initLoss">L(w*).</param>
public sealed class OnlineLlcObserver(double initLoss) : ISgmcmcObserver, IDisposable
{
    DrawBuffer? buffer;
    Tensor? sum;
    Scalar? sInit, sNBeta;

    /// <summary>Running λ̂ per chain after each draw, <c>[chain][draw]</c> (after the run).</summary>
    public double[][] RunningLlc { get; private set; } = [];

    public void OnStart(SgmcmcState state)
    {
        Dispose();
        buffer = new DrawBuffer(state.Options.Draws, state.Chains, state.Target.Device);
        sum = zeros([state.Chains], ScalarType.Float32, state.Target.Device).DetachFromDisposeScope();
        sInit = initLoss.ToScalar();
        sNBeta = state.Options.NBeta.ToScalar();
    }

    public void OnStep(SgmcmcState s)
    {
        if (!s.IsDraw) return;
        sum!.add_(s.Loss, Scalars.One);
        using var k = ((double)(s.Draw + 1)).ToScalar();
        using var llc = sum.div(k).sub_(sInit!).mul_(sNBeta!);
        buffer!.Write(s.Draw, llc);
    }

    public void OnFinish(SgmcmcState state)
    {
        if (buffer is null) return;
        RunningLlc = buffer.ToHost();
        Dispose();
    }

    public void Dispose()
    {
        buffer?.Dispose(); sum?.Dispose(); sInit?.Dispose(); sNBeta?.Dispose();
        buffer = null; sum = null; sInit = sNBeta = null;
    }
}
