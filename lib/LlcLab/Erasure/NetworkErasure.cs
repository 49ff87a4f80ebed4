using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Erasure inside a network. A hidden representation h at layer ℓ (<see cref="Network.LayerNames"/>) feeds the
/// next linear layer, a = W·h + b. Erasing h with r(h) = h·Pᵀ + c (P = I − tQ, c = tQμ) can be done two ways
/// that give the same outputs:
/// <list type="bullet">
/// <item><see cref="InsertInto"/>: a fixed, non-trainable affine layer after ℓ (<c>Network.WithFixedAffine</c>);</item>
/// <item><see cref="FoldInto"/>: into the next layer's parameters, W′ = W·P = W(I − tQ), b′ = b + W·c = b + tWQμ,
/// giving a network of the original architecture (and parameter count).</item>
/// </list>
/// </summary>
public static class NetworkErasure
{
    /// <summary>A new network, same architecture, whose layer after <paramref name="layer"/> applies the eraser first:
    /// W′ = W·P_t, b′ = b + W·c_t. A network without biases (<c>dln:</c>) can only absorb a purely linear eraser
    /// (fit with <c>LeaceOptions { Affine = false }</c>), otherwise use <see cref="InsertInto"/>.</summary>
    public static Network FoldInto(this IEraser eraser, Network net, string layer, double strength = 1.0)
    {
        if (net.Spec.Kind is not ("mlp" or "dln"))
            throw new NotSupportedException($"Folding into the next layer is implemented for mlp/dln networks; '{net.Spec}' is a {net.Spec.Kind}. Use InsertInto instead.");
        int i = net.LayerIndex(layer);
        long width = net.Spec.Widths[i];
        if (eraser.Dim != width)
            throw new ArgumentException($"The eraser has dimension {eraser.Dim} but layer '{layer}' of '{net.Spec}' has width {width}. Fit it on net.Activations(\"{layer}\", x).");
        int per = net.Spec.Bias ? 2 : 1;
        var wInfo = net.ParameterInfos[i * per];
        using var scope = NewDisposeScope();
        var state = net.StateDict();
        var w = state[wInfo.Name];
        var (p, c) = eraser.AffineForm(strength);
        var w64 = w.to_type(ScalarType.Float64);
        var dev = w64.device;
        p = p.to(dev); c = c.to(dev);
        state[wInfo.Name] = w64.matmul(p).to_type(w.dtype);
        var shift = w64.matmul(c);
        if (net.Spec.Bias)
        {
            var bName = net.ParameterInfos[i * per + 1].Name;
            state[bName] = (state[bName].to_type(ScalarType.Float64) + shift).to_type(w.dtype);
        }
        else if (shift.abs().max().item<double>() > 1e-12 * Math.Max(1, w64.abs().max().item<double>()))
            throw new InvalidOperationException(
                $"'{net.Spec}' has no biases, so the eraser's offset c = tQμ cannot be folded into layer '{layer}'. " +
                "Fit a linear eraser (LeaceOptions { Affine = false }) or insert it as a layer with InsertInto.");
        var folded = net.Clone();
        folded.LoadStateDict(state);
        return folded;
    }

    /// <summary>A new network with the eraser inserted after <paramref name="layer"/> as a fixed, non-trainable affine layer
    /// h ↦ h·P_tᵀ + c_t (<see cref="Network.WithFixedAffine"/>); not among the trainable parameters, so LLC sampling
    /// and training see exactly the original parameters.</summary>
    public static Network InsertInto(this IEraser eraser, Network net, string layer, double strength = 1.0)
    {
        var (p, c) = eraser.AffineForm(strength);
        using (p) using (c) return net.WithFixedAffine(layer, p, c);
    }
}
