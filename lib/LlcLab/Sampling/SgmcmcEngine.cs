using System.Diagnostics;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// The SG-MCMC loop shared by the vectorised sampler (one flat leaf <c>[C, D]</c> holding every chain's moving
/// parameters) and the sequential sampler (a module's own parameter tensors, one chain). Per step: one forward on
/// a minibatch, per-chain losses <c>[C]</c> summed and differentiated once (chains are independent, so the gradient of
/// the sum is each chain's own gradient), then the update in place. Draw losses are written into a preallocated
/// <c>[C, draws]</c> device tensor; the host sees them only every <see cref="SgldOptions.CheckInterval"/> steps
/// (divergence check, observers) and at the end.
/// </summary>
internal sealed class SgmcmcEngine
{
    /// <summary>Forward for the current leaves: minibatch x → per-chain mean loss <c>[C]</c> (differentiated by autograd).</summary>
    public Func<Tensor, Tensor, Tensor>? LossOnBatch { get; init; }
    /// <summary>
    /// Alternative to <see cref="LossOnBatch"/> for networks with an explicit backward pass: minibatch → per-chain loss
    /// <c>[C]</c> and one gradient per leaf, with no autograd graph.
    /// </summary>
    public Func<Tensor, Tensor, (Tensor Loss, IList<Tensor> Gradients)>? LossAndGradient { get; init; }
    /// <summary>Optional: loss on the measurement set (data-restricted LLC) at the current leaves, <c>[C]</c>, no grad.</summary>
    public Func<Tensor>? MeasureLoss { get; init; }
    /// <summary>The tensors that move, updated in place.</summary>
    public required IList<Tensor> Leaves { get; init; }
    /// <summary>
    /// Gradient of the summed loss, one tensor per leaf. Default: autograd with respect to the leaves themselves. The
    /// vectorised sampler differentiates per-parameter views of its flat leaf and concatenates, so the forward sees
    /// persistent parameter tensors (no per-step narrow/view nodes) while the update stays a handful of flat ops.
    /// </summary>
    public Func<Tensor, IList<Tensor>>? Gradient { get; init; }
    /// <summary>w* for each leaf (broadcastable to the leaf).</summary>
    public required IList<Tensor> Centers { get; init; }
    /// <summary>True when leaves carry a leading chain dimension.</summary>
    public required bool ChainDim { get; init; }
    public required int Chains { get; init; }
    public required Tensor X { get; init; }
    public required Tensor Y { get; init; }
    public required double NBeta { get; init; }
    public required double InitLoss { get; init; }
    public required long MovingCount { get; init; }
    public required SgldOptions Options { get; init; }
    public IReadOnlyList<ISamplerObserver> Observers { get; init; } = [];
    /// <summary>Chain index reported for chain 0 of this run (sequential mode runs chains one at a time).</summary>
    public int ChainOffset { get; init; }
    /// <summary>Progress offset/total when several runs make one estimate.</summary>
    public long ProgressOffset { get; init; }
    public long ProgressTotal { get; init; }

    public sealed record Output(double[][] Losses, double[]? MalaPerChain, long Steps, double Seconds);

    Tensor ChainSum(Tensor t) => ChainDim ? t.flatten(1).sum([1]) : t.sum().unsqueeze(0);

    public Output Run(Generator gen)
    {
        if (LossOnBatch is null && LossAndGradient is null) throw new InvalidOperationException("SgmcmcEngine needs LossOnBatch or LossAndGradient.");
        var o = Options;
        int C = Chains, draws = o.Draws;
        long T = o.TotalSteps, n = X.shape[0];
        long B = Math.Min(o.BatchSize ?? n, n);
        var dev = Leaves[0].device;
        double lr = o.ResolveLr(NBeta), gamma = o.Localization, wd = o.WeightDecay, nb = NBeta;
        double sqrtEps = Math.Sqrt(lr) * o.NoiseLevel;
        bool mala = o.ComputeMala && o.Sampler == SamplerKind.Sgld && o.BoundingBox is null;
        float lossLimit = (float)(InitLoss + o.DivergenceFactor * Math.Max(MovingCount, 1) / nb);

        using var outer = NewDisposeScope();
        // Per-run native scalars for the per-step ops (see Runtime/Scalars: temporaries can be finalised mid-call).
        double shrink = 1 - lr * (gamma + wd) / 2;
        using Scalar sNb = nb.ToScalar(), sGamma = gamma.ToScalar(), sWd = wd.ToScalar(), sShrink = shrink.ToScalar(),
            sPull = (lr * gamma / 2).ToScalar(), sGradStep = (-lr * nb / 2).ToScalar(), sNoise = sqrtEps.ToScalar(),
            sHalfLr = (lr / 2).ToScalar(), sMinusHalfLr = (-lr / 2).ToScalar(), sHalfGamma = (gamma / 2).ToScalar(),
            sHalfWd = (wd / 2).ToScalar(), sTwoLr = (2 * lr).ToScalar(), sNoiseSq = (lr * o.NoiseLevel * o.NoiseLevel).ToScalar(),
            sRmsAlpha = o.RmspropAlpha.ToScalar(), sRmsOneMinus = (1 - o.RmspropAlpha).ToScalar(), sRmsEps = o.RmspropEps.ToScalar(),
            sMinusLr = (-lr).ToScalar(), sLr = lr.ToScalar(), sDiffusion = (Math.Sqrt(2 * o.DiffusionFactor * lr) * o.NoiseLevel).ToScalar(),
            sPerParam = (1.0 / Math.Max(MovingCount, 1)).ToScalar();
        var lossBuf = zeros([C, draws], ScalarType.Float32, dev);
        var malaBuf = mala ? full([C, draws], float.NaN, ScalarType.Float32, dev) : null;
        var sqAvg = o.Sampler == SamplerKind.RmspropSgld ? Leaves.Select(l => zeros_like(l)).ToList() : null;
        List<Tensor>? momentum = null;
        Tensor? thermostat = null;
        if (o.Sampler == SamplerKind.Sgnht)
        {
            momentum = Leaves.Select(l => randn(l.shape, l.dtype, dev, generator: gen).mul_(Math.Sqrt(lr))).ToList();
            thermostat = full([C], o.DiffusionFactor, ScalarType.Float32, dev);
        }
        Tensor? perm = null;
        long permPos = n;
        List<Tensor>? prevW = null;
        Tensor? prevU = null, prevNoiseSq = null;
        int checkedDraws = 0;
        var sw = Stopwatch.StartNew();

        for (long t = 0; t < T; t++)
        {
            using var scope = NewDisposeScope();
            Tensor xb = X, yb = Y;
            if (B < n)
            {
                if (permPos + B > n) { perm?.Dispose(); perm = randperm(n, generator: gen, device: dev); perm.MoveToOuterDisposeScope(); permPos = 0; }
                var idx = perm!.narrow(0, permPos, B);
                permPos += B;
                xb = X.index_select(0, idx);
                yb = Y.index_select(0, idx);
            }
            Tensor lc;
            IList<Tensor> grads;
            if (LossAndGradient is { } explicitStep) (lc, grads) = explicitStep(xb, yb);
            else
            {
                lc = LossOnBatch!(xb, yb);
                grads = Gradient is null ? autograd.grad([lc.sum()], Leaves) : Gradient(lc.sum());
            }
            using var ng = no_grad();
            bool isDraw = t >= o.BurnIn && (t - o.BurnIn) % o.StepsBetweenDraws == 0;
            int d = isDraw ? (int)((t - o.BurnIn) / o.StepsBetweenDraws) : -1;
            long tn = t + 1;
            bool nextIsDraw = tn < T && tn >= o.BurnIn && (tn - o.BurnIn) % o.StepsBetweenDraws == 0;
            if (isDraw)
                lossBuf.select(1, d).copy_(MeasureLoss is null ? lc.detach() : MeasureLoss());

            // drift_i = nβ∇L_B + γ(w − w*) + δw, the gradient of U(w) = nβL_B(w) + γ/2‖w − w*‖² + δ/2‖w‖².
            bool malaNow = mala && isDraw && prevW is not null;
            Tensor[]? drift = null;
            if (o.Sampler != SamplerKind.Sgld || malaNow)
            {
                drift = new Tensor[Leaves.Count];
                for (int i = 0; i < Leaves.Count; i++)
                {
                    var dr = grads[i].mul(sNb);
                    if (gamma != 0) dr.add_(Leaves[i].sub(Centers[i]), sGamma);
                    if (wd != 0) dr.add_(Leaves[i], sWd);
                    drift[i] = dr;
                }
            }

            Tensor? uNow = null;
            if (mala && (isDraw && prevW is not null || nextIsDraw))
            {
                uNow = lc.detach().mul(sNb);
                for (int i = 0; i < Leaves.Count; i++)
                {
                    if (gamma != 0) uNow.add_(ChainSum(Leaves[i].sub(Centers[i]).Squared()), sHalfGamma);
                    if (wd != 0) uNow.add_(ChainSum(Leaves[i].Squared()), sHalfWd);
                }
            }
            if (malaNow)
            {
                // MALA acceptance of the proposal w_{t-1} → w_t (Roberts & Tweedie 1996; devinterp's `mala` callback):
                // log α = U(w_{t-1}) − U(w_t) + log q(w_{t-1}|w_t) − log q(w_t|w_{t-1}),
                // log q(a|b) = −‖a − b + (ε/2)∇U(b)‖²/(2ε). The forward term is the injected noise.
                var back = zeros([C], ScalarType.Float32, dev);
                for (int i = 0; i < Leaves.Count; i++)
                    back.add_(ChainSum(prevW![i].sub(Leaves[i]).add_(drift![i], sHalfLr).Squared()), Scalars.One);
                var logA = prevU!.sub(uNow!).sub_(back.div_(sTwoLr)).add_(prevNoiseSq!.div(sTwoLr), Scalars.One);
                malaBuf!.select(1, d).copy_(logA.clamp_max(Scalars.Zero).exp_());
            }

            switch (o.Sampler)
            {
                case SamplerKind.Sgld:
                {
                    Tensor? noiseSq = nextIsDraw && mala ? zeros([C], ScalarType.Float32, dev) : null;
                    if (noiseSq is not null)
                    {
                        prevW?.ForEach(w => w.Dispose());
                        prevW = Leaves.Select(l => l.detach().clone().MoveToOuterDisposeScope()).ToList();
                        prevU?.Dispose();
                        prevU = uNow!.MoveToOuterDisposeScope();
                    }
                    for (int i = 0; i < Leaves.Count; i++)
                    {
                        var noise = randn(Leaves[i].shape, Leaves[i].dtype, dev, generator: gen);
                        if (noiseSq is not null) noiseSq.add_(ChainSum(noise.Squared()), sNoiseSq);
                        if (drift is not null) Leaves[i].add_(drift[i], sMinusHalfLr).add_(noise, sNoise);
                        else
                        {
                            // Fused form of the same update: w(1 − εγ/2 − εδ/2) + (εγ/2)w* − (εnβ/2)∇L_B + √ε·σ·ξ.
                            if (shrink != 1) Leaves[i].mul_(sShrink);
                            if (gamma != 0) Leaves[i].add_(Centers[i], sPull);
                            Leaves[i].add_(grads[i], sGradStep).add_(noise, sNoise);
                        }
                    }
                    if (noiseSq is not null) { prevNoiseSq?.Dispose(); prevNoiseSq = noiseSq.MoveToOuterDisposeScope(); }
                    break;
                }
                case SamplerKind.RmspropSgld:
                    // pSGLD (Li et al. 2016): V ← αV + (1−α)g², G = 1/(√V + λ); w ← w − (ε/2)G⊙drift + N(0, εG).
                    for (int i = 0; i < Leaves.Count; i++)
                    {
                        sqAvg![i].mul_(sRmsAlpha).addcmul_(grads[i], grads[i], sRmsOneMinus);
                        var g = sqAvg[i].sqrt().add_(sRmsEps).reciprocal_();
                        var noise = randn(Leaves[i].shape, Leaves[i].dtype, dev, generator: gen);
                        Leaves[i].addcmul_(g, drift![i], sMinusHalfLr).addcmul_(g.sqrt_(), noise, sNoise);
                    }
                    break;
                case SamplerKind.Sgnht:
                {
                    // SGNHT (Ding et al. 2014, Alg. 2) in devinterp's variables u = p·h, η = h² = ε, α = ξh:
                    // u ← u − α·u − ε·drift + N(0, 2Aε); w ← w + u; α ← α + (‖u‖²/d − ε), one α per chain.
                    var kinetic = zeros([C], ScalarType.Float32, dev);
                    var alpha = ChainDim ? thermostat!.view([C, 1]) : thermostat!;
                    for (int i = 0; i < Leaves.Count; i++)
                    {
                        var u = momentum![i];
                        var a = ChainDim ? alpha.view(Enumerable.Repeat(1L, (int)u.dim()).Select((v, k) => k == 0 ? C : v).ToArray()) : alpha;
                        var noise = randn(u.shape, u.dtype, dev, generator: gen);
                        u.sub_(u.mul(a)).add_(drift![i], sMinusLr).add_(noise, sDiffusion);
                        Leaves[i].add_(u, Scalars.One);
                        kinetic.add_(ChainSum(u.Squared()), Scalars.One);
                    }
                    thermostat!.add_(kinetic.mul_(sPerParam).sub_(sLr), Scalars.One);
                    break;
                }
            }
            if (o.BoundingBox is { } box)
                for (int i = 0; i < Leaves.Count; i++)
                {
                    var lo = Centers[i].sub(box); var hi = Centers[i].add(box);
                    Leaves[i].copy_(minimum(maximum(Leaves[i], lo), hi));
                }

            bool check = tn % o.CheckInterval == 0 || tn == T;
            if (check)
            {
                int drawsDone = t < o.BurnIn ? 0 : (int)Math.Min(draws, (t - o.BurnIn) / o.StepsBetweenDraws + 1);
                CheckAndNotify(lossBuf, checkedDraws, drawsDone, lc.detach(), lossLimit, t, lr, nb);
                checkedDraws = drawsDone;
                foreach (var ob in Observers) ob.OnProgress(ProgressOffset + tn, ProgressTotal == 0 ? T : ProgressTotal);
            }
        }
        sw.Stop();

        var host = lossBuf.cpu().data<float>().ToArray();
        var losses = Enumerable.Range(0, C).Select(c => Enumerable.Range(0, draws).Select(j => (double)host[c * draws + j]).ToArray()).ToArray();
        double[]? malaPerChain = null;
        if (malaBuf is not null)
        {
            var mh = malaBuf.cpu().data<float>().ToArray();
            malaPerChain = Enumerable.Range(0, C).Select(c =>
            {
                var v = Enumerable.Range(0, draws).Select(j => (double)mh[c * draws + j]).Where(double.IsFinite).ToArray();
                return v.Length == 0 ? double.NaN : v.Average();
            }).ToArray();
        }
        perm?.Dispose();
        return new Output(losses, malaPerChain, T, sw.Elapsed.TotalSeconds);
    }

    void CheckAndNotify(Tensor lossBuf, int from, int to, Tensor current, float limit, long step, double lr, double nb)
    {
        int C = Chains;
        using var scope = NewDisposeScope();
        Tensor bad = current.isfinite().logical_not().logical_or(current.gt(limit)).any();
        Tensor? slice = null;
        if (to > from)
        {
            slice = lossBuf.narrow(1, from, to - from);
            bad = bad.logical_or(slice.isfinite().logical_not().logical_or(slice.gt(limit)).any());
        }
        bool isBad = bad.item<bool>();
        float[]? hs = null;
        if (slice is not null && (isBad || Observers.Count > 0)) hs = slice.cpu().data<float>().ToArray();
        int width = to - from;
        if (isBad)
        {
            if (hs is not null)
                for (int j = 0; j < width; j++)
                    for (int c = 0; c < C; c++)
                    {
                        float v = hs[c * width + j];
                        if (!float.IsFinite(v) || v > limit)
                        {
                            int draw = from + j;
                            long s = Options.BurnIn + (long)draw * Options.StepsBetweenDraws;
                            throw Diverged(c, draw, s, v, lr, nb);
                        }
                    }
            var cur = current.cpu().data<float>().ToArray();
            for (int c = 0; c < C; c++)
                if (!float.IsFinite(cur[c]) || cur[c] > limit)
                    throw Diverged(c, -1, step, cur[c], lr, nb);
        }
        if (hs is not null)
            for (int j = 0; j < width; j++)
                for (int c = 0; c < C; c++)
                {
                    int draw = from + j;
                    double v = hs[c * width + j];
                    var ev = new SamplerDraw(ChainOffset + c, draw, Options.BurnIn + (long)draw * Options.StepsBetweenDraws, v, nb * (v - InitLoss));
                    foreach (var ob in Observers) ob.OnDraw(ev);
                }
    }

    SamplerDivergedException Diverged(int c, int draw, long step, double v, double lr, double nb) =>
        new(ChainOffset + c, draw, step, double.IsFinite(v) ? nb * (v - InitLoss) : v, lr,
            !double.IsFinite(v) ? "the loss became NaN/∞"
            : $"the per-draw LLC nβ·(L − L(w*)) exceeded {Options.DivergenceFactor}× the number of moving parameters ({MovingCount}), above any possible λ ≤ d/2");
}
