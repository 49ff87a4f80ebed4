using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>A fixed affine map h ↦ h·Matrixᵀ + Offset applied to the features of hidden layer <see cref="Layer"/>.</summary>
public sealed record FixedAffineInsert(string Layer, Tensor Matrix, Tensor Offset);

public sealed partial class Network
{
    /// <summary>
    /// A new network (same spec, a copy of the weights) in which the hidden features h at <paramref name="layer"/>
    /// (<c>[B, F]</c>, as returned by <see cref="Activations"/>) are replaced by h·Mᵀ + c, with M =
    /// <paramref name="matrix"/> <c>[F, F]</c> and c = <paramref name="offset"/> <c>[F]</c> — e.g. a LEACE eraser
    /// (Belrose et al. 2023, x' = x − P(x − μ) = x(I − P)ᵀ + Pμ). The map is a fixed, non-trainable layer:
    /// a child module <c>fixed_{layer}</c> (<c>fixed_{layer}_2</c>, … for further maps at the same layer) holding buffers <c>matrix</c>/<c>offset</c> (so parameter names do not
    /// shift), and part of the batched functional form. It is not in <see cref="ParameterInfos"/>, so training, LLC
    /// sampling and <see cref="StateDict"/> cover exactly the original parameters. <see cref="Activations"/> at
    /// <paramref name="layer"/> returns the post-map value. For a CNN conv layer the map acts on the flattened
    /// <c>[B, ch·h·w]</c> features; for a transformer block it acts token-wise on the residual stream at every position.
    /// Maps compose: calling this on a network that already has maps adds one more (applied after the earlier ones).
    /// </summary>
    public Network WithFixedAffine(string layer, Tensor matrix, Tensor offset)
    {
        LayerIndex(layer);
        long f;
        using (var probe = zeros([1, .. ProbeInputShape()], dtype: ProbeInputDtype(), device: Device))
        using (var h = Activations(layer, probe)) f = h.shape[^1];
        if (matrix.dim() != 2 || matrix.shape[0] != f || matrix.shape[1] != f)
            throw new ArgumentException($"Layer '{layer}' of '{Spec}' has {f} features, so the matrix must be [{f}, {f}], not [{string.Join(",", matrix.shape)}].");
        if (offset.dim() != 1 || offset.shape[0] != f)
            throw new ArgumentException($"Layer '{layer}' of '{Spec}' has {f} features, so the offset must be [{f}], not [{string.Join(",", offset.shape)}].");
        var dtype = ParameterTensors()[0].dtype;
        var ins = new FixedAffineInsert(layer, matrix.detach().to(dtype).to(Device).clone(), offset.detach().to(dtype).to(Device).clone());
        var net = Assemble(Spec, [.. FixedAffines, ins], Device);
        net.LoadStateDict(StateDict());
        return net;
    }

    /// <summary>Shape of one input example (without the batch dimension).</summary>
    public long[] ProbeInputShape() => Spec.Kind switch
    {
        "transformer" => [Spec.Settings["seq"]],
        _ => [Spec.Widths[0]],
    };

    ScalarType ProbeInputDtype() => Spec.Kind == "transformer" ? ScalarType.Int64 : ScalarType.Float32;
}
