using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// The LLC as an observer (Lau et al. 2023, eq. 13): records the loss L(w_t) at every draw — the minibatch loss of the
/// step, or the loss on a measurement set (<see cref="Measure"/>, data-restricted LLC) — and gives per chain
/// λ̂_c = nβ·(mean_t L(w_t) − L(w*)) and the per-draw trace nβ·(L(w_t) − L(w*)). Every block it checks the new draws
/// for divergence (NaN/∞, or a per-draw LLC above <see cref="DivergenceFactor"/> × d, beyond any λ ≤ d/2) and hands
/// them to host-side <see cref="ISamplerObserver"/>s (progress bars, live plots) in draw order.
/// </summary>
/// <param name="initLoss">L(w*).</param>
public sealed class LlcObserver(double initLoss) : ISgmcmcObserver, IDisposable
{
    DrawBuffer? buffer;
    double nBeta, lr, limit = double.PositiveInfinity;
    // The divergence limit as a native scalar held for the run: an implicit double → Scalar temporary can be finalised
    // by a GC on another thread while the native call still reads it (see Runtime/Scalars).
    Scalar? sLimit;
    long moving;
    SgmcmcOptions? options;

    /// <summary>L(w*), the reference loss.</summary>
    public double InitLoss { get; } = initLoss;
    /// <summary>Optional loss at the current weights on another data set, <c>[C]</c> (replaces the minibatch loss).</summary>
    public Func<Tensor>? Measure { get; init; }
    /// <summary>Divergence guard in units of d (null = none).</summary>
    public double? DivergenceFactor { get; init; } = 10.0;
    /// <summary>Host-side draw listeners, fed every block.</summary>
    public IReadOnlyList<ISamplerObserver> Listeners { get; init; } = [];
    /// <summary>Chain index reported for chain 0 (chains run one after another).</summary>
    public int ChainOffset { get; init; }
    /// <summary>Steps reported before this run's first step, and the total (0 → this run's total), for progress.</summary>
    public long ProgressOffset { get; init; }
    /// <inheritdoc cref="ProgressOffset"/>
    public long ProgressTotal { get; init; }

    /// <summary>Per chain, the loss at each draw, <c>[chain][draw]</c> (after the run).</summary>
    public double[][] Losses { get; private set; } = [];

    /// <summary>The loss above which a draw counts as diverged: L(w*) + factor·d/nβ.</summary>
    public static double LossLimit(double initLoss, double factor, long moving, double nBeta) => initLoss + factor * Math.Max(moving, 1) / nBeta;

    public void OnStart(SgmcmcState state)
    {
        options = state.Options;
        nBeta = state.Options.NBeta;
        lr = state.Update.StepSize;
        moving = state.Target.MovingCount;
        if (DivergenceFactor is { } f) limit = LossLimit(InitLoss, f, moving, nBeta);
        sLimit?.Dispose();
        sLimit = limit.ToScalar();
        buffer?.Dispose();
        buffer = new DrawBuffer(state.Options.Draws, state.Chains, state.Target.Device, 0f);
    }

    public void OnStep(SgmcmcState state)
    {
        if (!state.IsDraw) return;
        if (Measure is null) buffer!.Write(state.Draw, state.Loss);
        else
        {
            using var m = Measure();
            buffer!.Write(state.Draw, m);
        }
    }

    public void OnBlock(SgmcmcState state, SgmcmcBlock block)
    {
        int from = block.FirstDraw, to = block.DrawsDone;
        if (to > from)
        {
            bool bad;
            using (var scope = NewDisposeScope())
            {
                var rows = buffer!.Rows(from, to);
                bad = rows.isfinite().logical_not().logical_or(rows.gt(sLimit!)).any().item<bool>();
            }
            if (bad || Listeners.Count > 0)
            {
                var h = buffer!.ToHost(from, to);
                if (bad)
                    for (int j = 0; j < to - from; j++)
                        for (int c = 0; c < h.Length; c++)
                        {
                            double v = h[c][j];
                            if (double.IsFinite(v) && v <= limit) continue;
                            int draw = from + j;
                            long step = options!.BurnIn + (long)draw * options.StepsBetweenDraws;
                            throw new SamplerDivergedException(ChainOffset + c, draw, step, double.IsFinite(v) ? nBeta * (v - InitLoss) : v, lr,
                                !double.IsFinite(v) ? "the loss became NaN/∞"
                                : $"the per-draw LLC nβ·(L − L(w*)) exceeded {DivergenceFactor}× the number of moving parameters ({moving}), above any possible λ ≤ d/2");
                        }
                for (int j = 0; j < to - from; j++)
                    for (int c = 0; c < h.Length; c++)
                    {
                        int draw = from + j;
                        var ev = new SamplerDraw(ChainOffset + c, draw, options!.BurnIn + (long)draw * options.StepsBetweenDraws, h[c][j], nBeta * (h[c][j] - InitLoss));
                        foreach (var l in Listeners) l.OnDraw(ev);
                    }
            }
        }
        foreach (var l in Listeners) l.OnProgress(ProgressOffset + block.StepsDone, ProgressTotal == 0 ? block.TotalSteps : ProgressTotal);
    }

    public void OnFinish(SgmcmcState state)
    {
        if (buffer is null) return;
        Losses = buffer.ToHost();
        buffer.Dispose();
        buffer = null;
        sLimit?.Dispose();
        sLimit = null;
    }

    /// <summary>Per chain, the per-draw LLC nβ·(L(w_t) − L(w*)) (devinterp's <c>llc/trace</c>).</summary>
    public double[][] LlcTrace => Losses.Select(c => c.Select(v => nBeta * (v - InitLoss)).ToArray()).ToArray();

    /// <summary>λ̂ per chain.</summary>
    public double[] PerChain => LlcTrace.Select(c => c.Average()).ToArray();

    public void Dispose() { buffer?.Dispose(); buffer = null; sLimit?.Dispose(); sLimit = null; }
}
