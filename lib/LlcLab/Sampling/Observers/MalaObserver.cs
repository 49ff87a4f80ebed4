using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// MALA acceptance probability of the sampler's transitions out of each draw (Roberts &amp; Tweedie 1996; devinterp's
/// <c>MalaAcceptanceRate</c>), for any update rule: the move w_t → w_{t+1} is scored as a Metropolis-adjusted Langevin
/// proposal for the target exp(−U),
/// <code>
/// log α = U(w_t) − U(w_{t+1}) + log q(w_t | w_{t+1}) − log q(w_{t+1} | w_t),   α ← min(1, α)
/// log q(a | b) = −Σ (a − b + (ε/2)·G⊙∇U(b))² / (2ε·G)  (+ a term in G that cancels)
/// U(w) = nβ·L_B(w) + γ/2·‖w − w*‖² + δ/2·‖w‖²
/// </code>
/// with ε the rule's step size and G its diagonal preconditioner for that step (<see cref="ISgmcmcUpdate.Preconditioner"/>:
/// RMSProp-SGLD's 1/(√V + λ); the identity for SGLD and SGNHT, as devinterp scores them). An acceptance near 1 means the
/// discretisation error of ε is negligible; ≥ <see cref="DiagnosticThresholds.MinMalaAcceptance"/> is the rule. With
/// minibatches the engine reuses the draw's batch for the step after it (<see cref="Sgmcmc"/>), so both ends of the scored
/// transition see the same minibatch potential U_B (else the ratio would compare different batches and read low at any ε); it does so
/// after every <see cref="Sgmcmc.MalaReuseEvery"/>-th draw, and the other draws, whose next step has a fresh batch, are not scored (NaN). The last draw has no
/// transition out of it (NaN).
/// </summary>
public sealed class MalaObserver : ISgmcmcObserver, IDisposable
{
    DrawBuffer? buffer;
    Tensor[]? prevW, prevDrift;
    Tensor? prevU;
    int pendingDraw = -1;
    long pendingStep = -1;
    Scalar? sNBeta, sGamma, sDecay, sHalfGamma, sHalfDecay, sHalfLr, sInvTwoLr;

    public bool ObservesStepAfterDraw => true;

    /// <summary>Per chain, the acceptance probability of the transition out of each draw (NaN where not computed).</summary>
    public double[][] Acceptance { get; private set; } = [];

    /// <summary>Per chain, the mean acceptance over the draws where it was computed (NaN if none).</summary>
    public double[] PerChain => Acceptance.Select(c => c.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()).ToArray();

    /// <summary>Mean acceptance over chains with a finite value, or null when none.</summary>
    public double? Mean => PerChain.Where(double.IsFinite).ToArray() is { Length: > 0 } v ? v.Average() : null;

    public void OnStart(SgmcmcState state)
    {
        DisposeState();
        var o = state.Options;
        double eps = state.Update.StepSize;
        buffer = new DrawBuffer(o.Draws, state.Chains, state.Target.Device);
        prevW = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        prevDrift = state.Weights.Select(w => zeros_like(w).DetachFromDisposeScope()).ToArray();
        prevU = zeros([state.Chains], ScalarType.Float32, state.Target.Device).DetachFromDisposeScope();
        sNBeta = o.NBeta.ToScalar();
        sGamma = o.Localization != 0 ? o.Localization.ToScalar() : null;
        sDecay = o.WeightDecay != 0 ? o.WeightDecay.ToScalar() : null;
        sHalfGamma = (o.Localization / 2).ToScalar();
        sHalfDecay = (o.WeightDecay / 2).ToScalar();
        sHalfLr = (eps / 2).ToScalar();
        sInvTwoLr = (1 / (2 * eps)).ToScalar();
        pendingDraw = -1;
    }

    public void OnStep(SgmcmcState s)
    {
        // Only transitions whose two ends saw the same minibatch are scored (with minibatches: every Sgmcmc.MalaReuseEvery-th draw).
        bool transition = pendingDraw >= 0 && pendingStep == s.Step - 1 && s.SameBatchAsPrevious;
        if (!transition && !s.IsDraw) return;
        using var scope = NewDisposeScope();
        int L = s.Weights.Count;
        var drift = new Tensor[L];
        var u = s.Loss.mul(sNBeta!);
        for (int i = 0; i < L; i++)
        {
            drift[i] = s.PotentialGradient(i, sNBeta!, sGamma, sDecay);
            if (sGamma is not null) u.add_(s.ChainSum(s.Weights[i].add(s.Centers[i], Scalars.MinusOne).Squared()), sHalfGamma!);
            if (sDecay is not null) u.add_(s.ChainSum(s.Weights[i].Squared()), sHalfDecay!);
        }
        if (transition)
        {
            var G = s.Update.Preconditioner;
            var forward = zeros_like(u);
            var backward = zeros_like(u);
            for (int i = 0; i < L; i++)
            {
                // Forward residual w_{t+1} − w_t + (ε/2)G∇U(w_t); backward w_t − w_{t+1} + (ε/2)G∇U(w_{t+1}); both weighted by 1/G.
                var step = s.Weights[i].add(prevW![i], Scalars.MinusOne);
                var gf = G is null ? prevDrift![i] : prevDrift![i].mul(G[i]);
                var gb = G is null ? drift[i] : drift[i].mul(G[i]);
                var f = step.add(gf, sHalfLr!);
                var b = step.neg().add_(gb, sHalfLr!);
                forward.add_(s.ChainSum(G is null ? f.Squared() : f.Squared().div_(G[i])), Scalars.One);
                backward.add_(s.ChainSum(G is null ? b.Squared() : b.Squared().div_(G[i])), Scalars.One);
            }
            var logA = prevU!.sub(u).add_(forward.sub_(backward).mul_(sInvTwoLr!), Scalars.One);
            buffer!.Write(pendingDraw, logA.clamp_max(Scalars.Zero).exp_());
        }
        if (s.IsDraw)
        {
            for (int i = 0; i < L; i++) { prevW![i].copy_(s.Weights[i]); prevDrift![i].copy_(drift[i]); }
            prevU!.copy_(u);
            pendingDraw = s.Draw;
            pendingStep = s.Step;
        }
        else pendingDraw = -1;
    }

    public void OnFinish(SgmcmcState state)
    {
        if (buffer is null) return;
        Acceptance = buffer.ToHost();
        DisposeState();
    }

    void DisposeState()
    {
        buffer?.Dispose(); buffer = null;
        foreach (var set in new[] { prevW, prevDrift }) if (set is not null) foreach (var t in set) t.Dispose();
        prevU?.Dispose();
        prevW = prevDrift = null; prevU = null;
        foreach (var sc in new[] { sNBeta, sGamma, sDecay, sHalfGamma, sHalfDecay, sHalfLr, sInvTwoLr }) sc?.Dispose();
        sNBeta = sGamma = sDecay = sHalfGamma = sHalfDecay = sHalfLr = sInvTwoLr = null;
    }

    public void Dispose() => DisposeState();
}
