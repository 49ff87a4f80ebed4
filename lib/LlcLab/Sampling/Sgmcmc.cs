using System.Diagnostics;
using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>How long a run took.</summary>
public sealed record SgmcmcSummary(long Steps, double Seconds)
{
    /// <summary>Steps per second of the sampling loop.</summary>
    public double StepsPerSecond => Seconds > 0 ? Steps / Seconds : double.NaN;
}

/// <summary>
/// The SG-MCMC engine: samples the localized tempered posterior of <see cref="SgmcmcOptions"/> around w* with an update
/// rule (<see cref="ISgmcmcUpdate"/>) and reports to observers (<see cref="ISgmcmcObserver"/>). Per step t:
/// <list type="number">
/// <item>a minibatch (without replacement, reshuffled from the run's generator when exhausted; full batch by default). When an
///   observer asks for the step after a draw (MALA), the step after every <see cref="MalaReuseEvery"/>-th draw reuses that draw's
///   batch, so the MALA ratio of that transition compares one potential at both ends and measures ε's discretisation error rather
///   than batch-to-batch noise (<see cref="SgmcmcState.SameBatchAsPrevious"/>). A reused batch is never passed on. Why so rarely: the
///   loss at a reused step is evaluated on the batch the previous step descended, which biases that draw's λ̂ low (with a reuse after
///   every draw, Fashion-MNIST's λ̂ fell 3%); and before this rule a run with a draw at every step and MALA on handed the reused batch
///   on and on, so every draw saw the first draw's minibatch and the chains sampled that one batch's posterior;</item>
/// <item>one forward/backward for all chains: per-chain losses L_B(w_t) <c>[C]</c> and each chain's gradient;</item>
/// <item>at draw steps (and, for observers that ask, the step after a draw) observers see the state — device tensors only;</item>
/// <item>the update moves the weights in place (then the optional bounding box clamps them);</item>
/// <item>every <see cref="SgmcmcOptions.CheckInterval"/> steps: observers' <see cref="ISgmcmcObserver.OnBlock"/> and the
///   divergence check — the only host synchronisation of the loop.</item>
/// </list>
/// Same target, data, options and seed → identical draws.
/// </summary>
public static class Sgmcmc
{
    /// <summary>With minibatches and an observer of the step after a draw (MALA), the transition out of every this-many-th draw is
    /// taken on the draw's batch and scored; the others get fresh batches (see the class summary). 10: 100 scored transitions per
    /// 1,000 draws, and 90% of draws free of the reuse bias.</summary>
    public const int MalaReuseEvery = 10;

    /// <summary>Runs <paramref name="update"/> on <paramref name="target"/> with data (x, y) and reports to <paramref name="observers"/>.</summary>
    public static SgmcmcSummary Sample(SgmcmcTarget target, Tensor x, Tensor y, ISgmcmcUpdate update,
        IReadOnlyList<ISgmcmcObserver> observers, SgmcmcOptions options)
    {
        TorchRuntime.Initialize();
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(options);
        observers ??= [];
        options.Validate();
        var o = options;
        var dev = target.Device;
        using var outer = NewDisposeScope();
        var X = x.to(dev);
        var Y = Losses.Prepare(target.LossKind, y.to(dev));
        long n = X.shape[0], T = o.TotalSteps;
        if (Y.shape[0] != n) throw new ArgumentException($"x has {n} rows but y has {Y.shape[0]}; they must match.");
        long B = Math.Min(o.BatchSize ?? n, n);
        var state = new SgmcmcState(target, o, update);
        using var gen = Seeding.Generator(o.Seed, dev);
        using (no_grad()) update.Initialize(state, gen);
        var obs = observers.ToArray();
        bool anyAfterDraw = obs.Any(ob => ob.ObservesStepAfterDraw);
        using Scalar? box = o.BoundingBox is { } b ? b.ToScalar() : null;
        Tensor? perm = null, lastIdx = null;
        long permPos = n;
        bool reusedLast = false;
        int drawsAtLastBlock = 0;
        var sw = Stopwatch.StartNew();
        try
        {
            foreach (var ob in obs) ob.OnStart(state);
            for (long t = 0; t < T; t++)
            {
                using var scope = NewDisposeScope();
                Tensor xb = X, yb = Y;
                // Reuse only a batch that was fresh at the draw before: a reused batch is never handed on (see the class summary).
                bool reuse = anyAfterDraw && t > 0 && o.DrawAt(t - 1) is int prev && prev >= 0 && prev % MalaReuseEvery == 0 && lastIdx is not null && !reusedLast;
                if (B < n && reuse)
                {
                    xb = X.index_select(0, lastIdx!);
                    yb = Y.index_select(0, lastIdx!);
                }
                else if (B < n)
                {
                    if (permPos + B > n)
                    {
                        perm?.Dispose();
                        perm = randperm(n, generator: gen, device: dev).MoveToOuterDisposeScope();
                        permPos = 0;
                    }
                    var idx = perm!.narrow(0, permPos, B);
                    permPos += B;
                    if (anyAfterDraw && o.DrawAt(t) is int d && d >= 0 && d % MalaReuseEvery == 0) { lastIdx?.Dispose(); lastIdx = idx.clone().MoveToOuterDisposeScope(); }
                    xb = X.index_select(0, idx);
                    yb = Y.index_select(0, idx);
                }
                var (loss, grads) = target.LossAndGradient(xb, yb);
                using var ng = no_grad();
                state.SameBatchAsPrevious = B >= n || (reuse && B < n);
                reusedLast = reuse && B < n;
                state.Step = t;
                state.Draw = o.DrawAt(t);
                state.Loss = loss;
                state.Gradients = grads;
                state.BatchX = xb; state.BatchY = yb; state.IsMinibatch = B < n;
                if (obs.Length > 0)
                {
                    bool afterDraw = anyAfterDraw && t > 0 && o.DrawAt(t - 1) >= 0;
                    for (int i = 0; i < obs.Length; i++)
                        if (state.IsDraw || (afterDraw && obs[i].ObservesStepAfterDraw)) obs[i].OnStep(state);
                }
                update.Step(state, gen);
                if (box is not null)
                    for (int i = 0; i < target.Leaves.Count; i++)
                    {
                        var w = target.Leaves[i];
                        var c = target.Centers[i];
                        w.copy_(minimum(maximum(w, c.sub(box)), c.add(box)));
                    }
                long done = t + 1;
                if (done % o.CheckInterval == 0 || done == T)
                {
                    var block = new SgmcmcBlock(done, T, drawsAtLastBlock, o.DrawsBefore(done));
                    for (int i = 0; i < obs.Length; i++) obs[i].OnBlock(state, block);
                    CheckFinite(loss, o, t, update.StepSize);
                    drawsAtLastBlock = block.DrawsDone;
                }
            }
        }
        finally
        {
            sw.Stop();
            state.BatchX = state.BatchY = null;
            perm?.Dispose();
            lastIdx?.Dispose();
            foreach (var ob in obs) ob.OnFinish(state);
        }
        return new SgmcmcSummary(T, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Host check of the current per-chain loss: NaN/∞ or above <see cref="SgmcmcOptions.LossLimit"/> stops the run.</summary>
    static void CheckFinite(Tensor loss, SgmcmcOptions o, long step, double lr)
    {
        float[] v = loss.cpu().data<float>().ToArray();
        for (int c = 0; c < v.Length; c++)
        {
            if (float.IsFinite(v[c]) && v[c] <= o.LossLimit) continue;
            int draw = o.DrawAt(step) >= 0 ? o.DrawAt(step) : step >= o.BurnIn ? o.DrawsBefore(step + 1) - 1 : -1;
            throw new SamplerDivergedException(c, draw, step, v[c], lr,
                float.IsFinite(v[c]) ? $"the minibatch loss exceeded the divergence limit {o.LossLimit:G4}" : "the loss became NaN/∞");
        }
    }
}
