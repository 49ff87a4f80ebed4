using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// What an SG-MCMC run moves and how it gets the loss and its gradient. Two layouts:
/// <list type="bullet">
/// <item><see cref="Vectorized"/>: a batched functional network (<see cref="IFunctionalNet"/>) with C chains in one flat
///   leaf <c>[C, D]</c> holding every chain's moving parameters; one forward/backward serves all chains. This is the idea
///   that replaces devinterp's deep copy of the model per chain.</item>
/// <item><see cref="Module"/>: any TorchSharp module, one chain, moved in place on the module's own parameters.</item>
/// </list>
/// The update rule acts on <see cref="Leaves"/>; observers read them (or the per-parameter <see cref="ParameterViews"/>).
/// </summary>
public sealed class SgmcmcTarget
{
    readonly Func<Tensor, Tensor, (Tensor Loss, IReadOnlyList<Tensor> Gradients)> lossAndGradient;
    readonly Func<Tensor, Tensor, Tensor> lossNoGrad;
    readonly Func<Tensor, Tensor, Tensor> centerLoss;

    SgmcmcTarget(IReadOnlyList<Tensor> leaves, IReadOnlyList<Tensor> centers, IReadOnlyList<Tensor> views, IReadOnlyList<string> names,
        int chains, bool chainDim, long moving, LossKind loss,
        Func<Tensor, Tensor, (Tensor, IReadOnlyList<Tensor>)> lossAndGradient, Func<Tensor, Tensor, Tensor> lossNoGrad,
        Func<Tensor, Tensor, Tensor> centerLoss)
    {
        Leaves = leaves; Centers = centers; ParameterViews = views; ParameterNames = names; Chains = chains; ChainDim = chainDim;
        MovingCount = moving; LossKind = loss; this.lossAndGradient = lossAndGradient; this.lossNoGrad = lossNoGrad; this.centerLoss = centerLoss;
    }

    /// <summary>The tensors the update moves, in place (vectorised: one flat <c>[C, D]</c>; module: its parameters).</summary>
    public IReadOnlyList<Tensor> Leaves { get; }
    /// <summary>w*, one per leaf, broadcastable to it.</summary>
    public IReadOnlyList<Tensor> Centers { get; }
    /// <summary>Each moving parameter as a tensor of its own shape with a leading chain dimension (vectorised: views of the
    /// flat leaf; module: the parameters).</summary>
    public IReadOnlyList<Tensor> ParameterViews { get; }
    /// <summary>Names of the moving parameters (PyTorch naming), matching <see cref="ParameterViews"/>.</summary>
    public IReadOnlyList<string> ParameterNames { get; }
    /// <summary>Number of chains C.</summary>
    public int Chains { get; }
    /// <summary>True when leaves carry a leading chain dimension.</summary>
    public bool ChainDim { get; }
    /// <summary>Moving parameters per chain, d.</summary>
    public long MovingCount { get; }
    /// <summary>The loss that is sampled.</summary>
    public LossKind LossKind { get; }
    /// <summary>Device of the leaves.</summary>
    public Device Device => Leaves[0].device;

    /// <summary>Per-chain mean loss <c>[C]</c> on one batch and ∇ of its sum over chains (each chain's own gradient), one
    /// tensor per leaf. The gradient tensors may be reused buffers: read them before the next call.</summary>
    public (Tensor Loss, IReadOnlyList<Tensor> Gradients) LossAndGradient(Tensor x, Tensor y) => lossAndGradient(x, y);

    /// <summary>Per-chain mean loss <c>[C]</c> at the current leaves on (x, y), without gradient, in chunks of
    /// <paramref name="chunk"/> rows (bounded memory on large sets).</summary>
    public Tensor Loss(Tensor x, Tensor y, long chunk = 16384)
    {
        using var ng = no_grad();
        long n = x.shape[0];
        Tensor? sum = null;
        for (long s = 0; s < n; s += chunk)
        {
            long len = Math.Min(chunk, n - s);
            using var lenS = ((double)len).ToScalar();
            var l = lossNoGrad(x.narrow(0, s, len), y.narrow(0, s, len)).mul(lenS);
            sum = sum is null ? l : sum.add_(l, Scalars.One);
        }
        using var nS = ((double)n).ToScalar();
        return sum!.div_(nS);
    }

    /// <summary>The mean loss L_B(w*) <c>[C]</c> (every chain the same value) on one batch, without gradient and without moving the
    /// chains: the paired reference of the minimum check (<see cref="PairedLossObserver"/>).</summary>
    public Tensor LossAtCenter(Tensor x, Tensor y)
    {
        using var ng = no_grad();
        return centerLoss(x, y);
    }

    /// <summary>Puts every chain back at w*.</summary>
    public void Reset()
    {
        using var ng = no_grad();
        for (int i = 0; i < Leaves.Count; i++) Leaves[i].copy_(Centers[i].expand_as(Leaves[i]));
    }

    /// <summary>
    /// C chains of a batched functional network, all starting at w* (<paramref name="parameters"/>, in
    /// <see cref="IFunctionalNet.Parameters"/> order, without chain dimension). <paramref name="moving"/> selects the
    /// parameters that move (null → all; the others stay frozen at w*). With <paramref name="explicitGradients"/> a network
    /// that implements <see cref="IExplicitGradient"/> is differentiated by its hand-derived backward pass (no autograd
    /// graph); otherwise by autograd, accumulating straight into a flat gradient buffer laid out like the leaf.
    /// </summary>
    public static SgmcmcTarget Vectorized(IFunctionalNet net, IReadOnlyList<Tensor> parameters, int chains, LossKind loss,
        bool[]? moving = null, bool explicitGradients = true)
    {
        ArgumentNullException.ThrowIfNull(net);
        var infos = net.Parameters;
        if (chains < 1) throw new ArgumentException($"Need at least one chain, got {chains}.");
        if (parameters.Count != infos.Count)
            throw new ArgumentException($"Got {parameters.Count} parameter tensors but the network has {infos.Count}: {string.Join(", ", infos)}.");
        var mv = moving ?? infos.Select(_ => true).ToArray();
        int C = chains;
        // One flat leaf [C, D] holds every chain's moving parameters. It does not require grad itself: autograd
        // differentiates persistent per-parameter views of it (leaves of their own, made once), and the update acts on
        // the flat tensor, which the views share storage with. A parameter the network reads transposed (an MLP weight
        // feeding bmm) is stored transposed, so its view is a transpose of contiguous memory and both the forward and
        // the gradient run on contiguous operands. The update is elementwise, so the layout does not change it.
        var offsets = new long[infos.Count];
        long D = 0;
        for (int i = 0; i < infos.Count; i++) if (mv[i]) { offsets[i] = D; D += infos[i].Count; }
        if (D == 0) throw new ArgumentException("No parameter moves; select at least one.");
        bool Transposed(int i) => net.StoresTransposed(i) && infos[i].Shape.Length >= 2;
        Tensor Stored(Tensor w, int i) => Transposed(i) ? w.transpose(-1, -2) : w;
        var wStar = parameters.Select(p => p.detach().to(ScalarType.Float32)).ToList();
        var center = cat(wStar.Select((w, i) => (w, i)).Where(t => mv[t.i]).Select(t => Stored(t.w, t.i).contiguous().flatten()).ToList()).unsqueeze(0);
        var leaf = center.repeat(C, 1).contiguous();
        Tensor ParamView(Tensor flat, int i)
        {
            var shape = infos[i].Shape;
            long[] stored = Transposed(i) ? [C, .. shape[..^2], shape[^1], shape[^2]] : [C, .. shape];
            return Stored(flat.narrow(1, offsets[i], infos[i].Count).view(stored), i);
        }
        // One chain on a network that takes a single parameter set: the views autograd differentiates carry no chain
        // dimension (the module's own shapes), so the forward records no view of it at every step; the loss gets its
        // chain dimension back at the end. The views observers read keep the [C, …] shape.
        bool single = C == 1 && net.AcceptsSingleChain && !(explicitGradients && net is IExplicitGradient { HasExplicitGradient: true }) && !Enumerable.Range(0, infos.Count).Any(i => mv[i] && Transposed(i));
        Tensor GradView(Tensor flat, int i) => single ? flat.narrow(1, offsets[i], infos[i].Count).view(infos[i].Shape) : ParamView(flat, i);
        var views = infos.Select((info, i) => mv[i]
            ? GradView(leaf, i).requires_grad_(true)
            : single ? wStar[i] : wStar[i].unsqueeze(0).expand([C, .. info.Shape])).ToList();
        var movingIdx = Enumerable.Range(0, infos.Count).Where(i => mv[i]).ToList();
        var movingViews = movingIdx.Select(i => views[i]).ToList();
        var observedViews = single ? movingIdx.Select(i => ParamView(leaf, i)).ToList() : movingViews;
        Tensor Forward(Tensor xb) => single ? net.Forward(views, xb).unsqueeze(0) : net.Forward(views, xb);
        var gradFlat = zeros_like(leaf);
        var gradViews = movingIdx.Select(i => GradView(gradFlat, i)).ToList();
        IReadOnlyList<Tensor> flatGrad = [gradFlat];
        // Autograd accumulates into an existing .grad in place (no new tensor, no copy), so each view's gradient is a view
        // of the flat buffer and one zero_ per step replaces a copy per parameter.
        for (int k = 0; k < movingViews.Count; k++) movingViews[k].grad = gradViews[k];

        Func<Tensor, Tensor, (Tensor, IReadOnlyList<Tensor>)> step;
        if (explicitGradients && net is IExplicitGradient { HasExplicitGradient: true } eg)
        {
            var targets = Enumerable.Range(0, infos.Count).Select(i => mv[i] ? ParamView(gradFlat, i) : null).ToList();
            step = (xb, yb) => (eg.LossAndGradient(views, xb, yb, loss, targets), flatGrad);
        }
        else
        {
            step = (xb, yb) =>
            {
                gradFlat.zero_();
                var lc = Losses.Compute(loss, Forward(xb), yb);
                lc.sum().backward();
                return (lc.detach(), flatGrad);
            };
        }
        var names = movingIdx.Select(i => infos[i].Name).ToList();
        // w* laid out like the chains (a [C, D] copy of the centre, viewed as the leaf is), so L_B(w*) runs the same batched forward.
        var centerLeaf = center.repeat(C, 1).contiguous();
        var centerViews = infos.Select((_, i) => mv[i] ? GradView(centerLeaf, i) : views[i]).ToList();
        Tensor CenterForward(Tensor xb) => single ? net.Forward(centerViews, xb).unsqueeze(0) : net.Forward(centerViews, xb);
        return new SgmcmcTarget([leaf], [center], observedViews, names, C, true, D, loss, step,
            (xb, yb) => Losses.Compute(loss, Forward(xb), yb), (xb, yb) => Losses.Compute(loss, CenterForward(xb), yb));
    }

    /// <summary>
    /// One chain on a TorchSharp module (output <c>[B, K]</c>), moved in place on its parameters (no copy); w* is the
    /// module's current weights. <paramref name="moving"/> selects parameters in <c>named_parameters()</c> order (null → all).
    /// Call <see cref="Reset"/> to put the module back at w*.
    /// </summary>
    public static SgmcmcTarget Module(nn.Module<Tensor, Tensor> module, LossKind loss, bool[]? moving = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var named = module.named_parameters().ToList();
        if (named.Count == 0) throw new ArgumentException("The module has no parameters to sample.");
        var mv = moving ?? named.Select(_ => true).ToArray();
        var leaves = named.Where((_, i) => mv[i]).Select(p => (Tensor)p.parameter).ToList();
        if (leaves.Count == 0) throw new ArgumentException("No parameter moves; select at least one.");
        var centers = leaves.Select(p => p.detach().clone()).ToList();
        long D = leaves.Sum(p => p.numel());
        var names = named.Where((_, i) => mv[i]).Select(p => p.name).ToList();
        return new SgmcmcTarget(leaves, centers, leaves, names, 1, false, D, loss,
            (xb, yb) =>
            {
                var lc = Losses.Compute(loss, module.call(xb).unsqueeze(0), yb);
                var grads = autograd.grad([lc.sum()], leaves);
                return (lc.detach(), grads.ToList());
            },
            (xb, yb) => Losses.Compute(loss, module.call(xb).unsqueeze(0), yb),
            (xb, yb) =>
            {
                // The module holds one chain in place: swap w* in, evaluate, swap the chain back.
                var held = leaves.Select(p => p.detach().clone()).ToList();
                try
                {
                    for (int i = 0; i < leaves.Count; i++) leaves[i].detach().copy_(centers[i]);
                    return Losses.Compute(loss, module.call(xb).unsqueeze(0), yb);
                }
                finally
                {
                    for (int i = 0; i < leaves.Count; i++) { leaves[i].detach().copy_(held[i]); held[i].Dispose(); }
                }
            });
    }
}
