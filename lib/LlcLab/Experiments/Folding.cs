using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Folding a fixed affine map on a hidden layer into the next linear layer of an MLP.</summary>
public static class Folding
{
    /// <summary>
    /// For h′ = h·Mᵀ + c applied to the hidden layer <paramref name="layer"/> (h_k), returns a copy of
    /// <paramref name="net"/> whose next linear layer is W′ = W·M, b′ = b + W·c, so that W′h + b′ = W·h′ + b:
    /// the same function with the original architecture (all weights trainable again).
    /// </summary>
    public static Network FoldAffine(Network net, string layer, Tensor matrix, Tensor offset)
    {
        ArgumentNullException.ThrowIfNull(net);
        int k = net.LayerIndex(layer);
        var state = net.StateDict();
        // nn.Sequential numbering counts activation modules: Linear 0, act 1, Linear 2, … so the linear after h_k is 2k.
        string w = $"{2 * k}.weight", b = $"{2 * k}.bias";
        if (!state.ContainsKey(w))
            throw new ArgumentException($"Folding supports MLPs whose layer after {layer} is '{w}'; {net.Spec} has parameters {string.Join(", ", state.Keys)}.");
        using (no_grad())
        {
            var W = state[w];
            var m = matrix.to(W.dtype, W.device);
            var c = offset.to(W.dtype, W.device);
            state[w] = W.matmul(m);
            if (state.TryGetValue(b, out var bias)) state[b] = bias + W.matmul(c);
            else if (c.abs().max().item<float>() > 0)
                throw new ArgumentException($"{net.Spec} has no bias after {layer}, so a nonzero offset cannot be folded; use the inserted form.");
        }
        var copy = Network.Create(net.Spec.ToString(), 0, net.Device);
        copy.LoadStateDict(state);
        return copy;
    }
}
