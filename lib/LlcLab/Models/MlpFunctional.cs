using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// Batched form of a multilayer perceptron / deep linear network:
/// h_{l+1} = σ(h_l W_lᵀ + b_l), with every W_l, b_l carrying a leading chain dimension.
/// The input batch is shared by all chains, so the first layer is one broadcast matmul.
/// Parameter names follow <c>nn.Sequential</c> numbering with activation modules counted
/// (<c>0.weight, 0.bias, 2.weight, …</c>), matching PyTorch state dicts.
/// Hidden layers <c>h1 … h{L−1}</c> are the outputs of the hidden linear maps after their activation.
/// </summary>
public sealed partial class MlpFunctional : ILayeredFunctional, IExplicitGradient
{
    readonly long[] widths;
    readonly Activation activation;
    readonly bool bias;

    public MlpFunctional(IReadOnlyList<long> widths, Activation activation, bool bias)
    {
        if (widths.Count < 2) throw new ArgumentException("An MLP needs at least an input and an output width.");
        this.widths = widths.ToArray();
        this.activation = activation;
        this.bias = bias;
        var ps = new List<ParameterInfo>();
        int stride = activation == Activation.Identity ? 1 : 2;
        for (int l = 0; l < this.widths.Length - 1; l++)
        {
            int idx = l * stride;
            ps.Add(new ParameterInfo($"{idx}.weight", [this.widths[l + 1], this.widths[l]]));
            if (bias) ps.Add(new ParameterInfo($"{idx}.bias", [this.widths[l + 1]]));
        }
        Parameters = ps;
        LayerNames = Enumerable.Range(1, this.widths.Length - 2).Select(i => $"h{i}").ToList();
    }

    public IReadOnlyList<ParameterInfo> Parameters { get; }
    public IReadOnlyList<string> LayerNames { get; }
    public int Depth => widths.Length - 1;

    public Tensor Forward(IReadOnlyList<Tensor> p, Tensor x) => ForwardRange(p, x, 0, Depth);

    /// <summary>Output of layer <paramref name="layers"/> (1 = first hidden layer, after its activation).</summary>
    public Tensor ForwardUpTo(IReadOnlyList<Tensor> p, Tensor x, int layers) => ForwardRange(p, x, 0, layers);

    public Tensor ForwardRange(IReadOnlyList<Tensor> p, Tensor state, int from, int to)
    {
        int per = bias ? 2 : 1;
        int last = widths.Length - 1;
        Tensor h = state;
        for (int l = from; l < to; l++)
        {
            var w = p[l * per];
            // The shared input batch [B,in] is expanded (a view, no copy) to [C,B,in] so every layer is one bmm
            // [C,B,in] @ [C,in,out]. bmm + in-place bias + in-place activation keeps the autograd graph to three nodes per
            // layer; at these sizes each node's dispatch costs more than its arithmetic (see `llclab bench llc`).
            if (h.dim() == 2) h = h.expand(w.shape[0], -1, -1);
            var next = h.bmm(w.transpose(1, 2));
            if (bias) next.add_(p[l * per + 1].unsqueeze(1), LlcLab.Runtime.Scalars.One);
            h = l < last - 1 ? activation.ApplyInPlace(next) : next;
        }
        return h.dim() == 2 && from == 0 ? h.unsqueeze(0) : h;
    }

    /// <summary>Weights are read as <c>Wᵀ</c> by bmm; contiguous <c>[C, in, out]</c> storage makes that read free.</summary>
    public bool StoresTransposed(int index) => Parameters[index].Shape.Length == 2;

    public Tensor Features(Tensor state, int layer) => state;
    public Tensor MapFeatures(Tensor state, int layer, Func<Tensor, Tensor> f) => f(state);
}
