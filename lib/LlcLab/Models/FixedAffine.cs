using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A fixed (non-trainable) affine map h ↦ h·Mᵀ + c on a hidden representation. M and c are registered as
/// buffers <c>matrix</c> and <c>offset</c>, never as parameters, so optimizers, the LLC sampler and state dicts
/// of parameters leave them alone. With <c>flatten</c> the map acts on the representation flattened
/// from dimension 1 (e.g. a conv layer's <c>[B, ch, h, w]</c> as <c>[B, ch·h·w]</c>, PyTorch flatten order);
/// otherwise on the last dimension (token-wise in a transformer).
/// </summary>
public sealed class FixedAffineModule : nn.Module<Tensor, Tensor>
{
    readonly Tensor matrix, offset;
    readonly bool flatten;

    public FixedAffineModule(Tensor matrix, Tensor offset, bool flatten) : base("FixedAffine")
    {
        this.matrix = matrix; this.offset = offset; this.flatten = flatten;
        register_buffer("matrix", matrix);
        register_buffer("offset", offset);
    }

    public override Tensor forward(Tensor h)
    {
        if (flatten && h.dim() > 2)
            return (h.flatten(1).matmul(matrix.T) + offset).reshape(h.shape);
        return h.matmul(matrix.T) + offset;
    }
}

/// <summary>Batched functional form of a network with a fixed affine map inserted at one hidden boundary
/// (the state at that boundary is the post-affine value).</summary>
public sealed class FixedAffineFunctional(ILayeredFunctional inner, int layer, Tensor matrix, Tensor offset) : ILayeredFunctional, IExplicitGradient
{
    public ILayeredFunctional Inner { get; } = inner;
    public int Layer { get; } = layer;
    public Tensor Matrix { get; } = matrix;
    public Tensor Offset { get; } = offset;

    public IReadOnlyList<ParameterInfo> Parameters => Inner.Parameters;
    public IReadOnlyList<string> LayerNames => Inner.LayerNames;
    public int Depth => Inner.Depth;
    public bool StoresTransposed(int index) => Inner.StoresTransposed(index);

    public Tensor Forward(IReadOnlyList<Tensor> p, Tensor x) => ForwardRange(p, x, 0, Depth);

    public Tensor ForwardRange(IReadOnlyList<Tensor> p, Tensor state, int from, int to)
    {
        if (!(from < Layer && Layer <= to)) return Inner.ForwardRange(p, state, from, to);
        var h = Inner.ForwardRange(p, state, from, Layer);
        h = Inner.MapFeatures(h, Layer, f => f.matmul(Matrix.T) + Offset);
        return Layer == to ? h : Inner.ForwardRange(p, h, Layer, to);
    }

    /// <summary>Inserted maps from the innermost wrapper outwards, and the network they wrap.</summary>
    (ILayeredFunctional Base, List<(int Layer, Tensor Matrix, Tensor Offset)> Inserts) Unwrap()
    {
        var inserts = new List<(int, Tensor, Tensor)>();
        ILayeredFunctional f = this;
        while (f is FixedAffineFunctional fa) { inserts.Add((fa.Layer, fa.Matrix, fa.Offset)); f = fa.Inner; }
        inserts.Reverse();
        return (f, inserts);
    }

    /// <summary>Explicit backprop is available when the wrapped network is an MLP / deep linear network.</summary>
    public bool HasExplicitGradient => Unwrap().Base is MlpFunctional;

    public Tensor LossAndGradient(IReadOnlyList<Tensor> p, Tensor x, Tensor y, LossKind loss, IReadOnlyList<Tensor?> gradients)
    {
        var (core, inserts) = Unwrap();
        if (core is not MlpFunctional mlp)
            throw new NotSupportedException($"Explicit gradients through an inserted affine map need an MLP underneath, not {core.GetType().Name}; use autograd (SgldOptions.ExplicitGradients = false).");
        return mlp.LossAndGradient(p, x, y, loss, gradients, inserts);
    }

    public Tensor Features(Tensor state, int layer) => Inner.Features(state, layer);
    public Tensor MapFeatures(Tensor state, int layer, Func<Tensor, Tensor> f) => Inner.MapFeatures(state, layer, f);
}
