using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// The affine map of a batched functional network, one weight per chain:
/// <code>y[c] = h[c] · W[c]ᵀ + b[c]      h [C, …, in], W [C, out, in], b [C, out] → y [C, …, out]</code>
/// the one definition that the CNN and the transformer share (the MLP has its own explicit backward pass).
/// With C = 1 it is the module's own fused <c>addmm</c> (<c>F.linear</c>) on the chain's rows, so that one chain costs what
/// <c>nn.Linear</c> costs; with C &gt; 1, one <c>bmm</c> over <c>[C, rows, in]</c> and the bias added in place of a broadcast
/// matmul against <c>W.unsqueeze(1)</c>, which would materialise a copy of W per row and sum them in the backward pass.
/// </summary>
public static class ChainAffine
{
    /// <summary>y[c] = h[c]·W[c]ᵀ + b[c], over every leading row dimension of <paramref name="h"/> after the chain's.</summary>
    public static Tensor Apply(Tensor h, Tensor w, Tensor b)
    {
        var shape = h.shape;
        long chains = shape[0], inputs = shape[^1], outputs = w.shape[1];
        shape[^1] = outputs;
        if (chains == 1)
            return nn.functional.linear(h.reshape(-1, inputs), w.squeeze(0), b.squeeze(0)).view(shape);
        return h.reshape(chains, -1, inputs).bmm(w.transpose(-1, -2)).add(b.unsqueeze(1), Scalars.One).view(shape);
    }
}
