using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// The affine map of a batched functional network, one weight per chain:
/// <code>y[c] = h[c] · W[c]ᵀ + b[c]      h [C, …, in], W [C, out, in], b [C, out] → y [C, …, out]</code>
/// the one definition that the CNN and the transformer share (the MLP has its own explicit backward pass).
/// One <c>bmm</c> over <c>[C, rows, in]</c> and the bias added, in place of a broadcast matmul against <c>W.unsqueeze(1)</c>, which
/// would materialise a copy of W per row and sum them in the backward pass. (One chain without chain dimension is not this map: it
/// is the network's single-chain form, <see cref="IFunctionalNet.AcceptsSingleChain"/>.)
/// </summary>
public static class ChainAffine
{
    /// <summary>y[c] = h[c]·W[c]ᵀ + b[c], over every leading row dimension of <paramref name="h"/> after the chain's.</summary>
    public static Tensor Apply(Tensor h, Tensor w, Tensor b)
    {
        var shape = h.shape;
        long chains = shape[0], inputs = shape[^1], outputs = w.shape[1];
        shape[^1] = outputs;
        return h.reshape(chains, -1, inputs).bmm(w.transpose(-1, -2)).add(b.unsqueeze(1), Scalars.One).view(shape);
    }
}
