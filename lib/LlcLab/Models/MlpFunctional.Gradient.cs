using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

public sealed partial class MlpFunctional
{
    /// <summary>
    /// Explicit backpropagation through the batched MLP (see <see cref="IExplicitGradient"/>). With a_0 = x,
    /// z_l = a_{l−1}W_lᵀ + b_l, a_l = σ(z_l) (hidden layers) and output o = z_L, and δ_L = ∂L/∂o from
    /// <see cref="Losses.ComputeWithGradient"/>: ∂L/∂W_l = δ_lᵀa_{l−1}, ∂L/∂b_l = Σ_b δ_l, δ_{l−1} = (δ_l W_l) ⊙ σ′(z_{l−1}),
    /// every product batched over the chain dimension.
    /// </summary>
    public Tensor LossAndGradient(IReadOnlyList<Tensor> p, Tensor x, Tensor y, LossKind loss, IReadOnlyList<Tensor?> gradients) =>
        LossAndGradient(p, x, y, loss, gradients, []);

    /// <summary>
    /// The same with fixed affine maps h ← hMᵀ + c inserted at hidden boundaries (an eraser, see
    /// <see cref="FixedAffineFunctional"/>), applied in list order at each boundary; backward through one is δ ← δM.
    /// </summary>
    internal Tensor LossAndGradient(IReadOnlyList<Tensor> p, Tensor x, Tensor y, LossKind loss, IReadOnlyList<Tensor?> gradients,
        IReadOnlyList<(int Layer, Tensor Matrix, Tensor Offset)> inserts)
    {
        if (p.Count != Parameters.Count || gradients.Count != Parameters.Count)
            throw new ArgumentException($"Expected {Parameters.Count} parameter and gradient tensors, got {p.Count} and {gradients.Count}.");
        using var noGrad = no_grad();
        int per = bias ? 2 : 1, L = Depth;
        long C = p[0].shape[0];
        var inputs = new Tensor[L];       // the state at boundary l, feeding layer l (0-based), after any insert
        var acts = new Tensor[L];         // σ(z_l) before any insert at boundary l + 1, for σ′
        var preacts = new Tensor?[L];     // z_l, kept only where σ′ needs it (GELU)
        Tensor h = x.dim() == 2 ? x.expand(C, -1, -1) : x;
        for (int l = 0; l < L; l++)
        {
            inputs[l] = h;
            var z = h.bmm(p[l * per].transpose(1, 2));
            if (bias) z.add_(p[l * per + 1].unsqueeze(1), Scalars.One);
            if (l == L - 1) { h = z; break; }
            if (activation == Activation.GELU) { preacts[l] = z; h = z.gelu(); }
            else h = activation.ApplyInPlace(z);
            acts[l] = h;
            foreach (var ins in inserts)
                if (ins.Layer == l + 1) h = h.matmul(ins.Matrix.T).add_(ins.Offset, Scalars.One);
        }
        var (lossPerChain, delta) = Losses.ComputeWithGradient(loss, h, y);
        for (int l = L - 1; l >= 0; l--)
        {
            if (gradients[l * per] is { } gw) gw.copy_(delta.transpose(1, 2).bmm(inputs[l]));
            if (bias && gradients[l * per + 1] is { } gb) gb.copy_(delta.sum([1]));
            if (l == 0) break;
            delta = delta.bmm(p[l * per]);
            for (int k = inserts.Count - 1; k >= 0; k--)
                if (inserts[k].Layer == l) delta = delta.matmul(inserts[k].Matrix);
            var a = acts[l - 1];          // σ(z) of the layer below, before any insert
            switch (activation)
            {
                case Activation.ReLU: delta.mul_(a.gt(0)); break;                  // σ′ = 1[z > 0] = 1[a > 0]
                case Activation.Tanh: delta.mul_(a.Squared().neg_().add_(Scalars.One)); break; // σ′ = 1 − tanh² = 1 − a²
                case Activation.GELU:
                {
                    // GELU(z) = zΦ(z) (erf form): σ′(z) = Φ(z) + zφ(z).
                    var z = preacts[l - 1]!;
                    using var invSqrt2 = (1 / Math.Sqrt(2)).ToScalar();
                    using var invSqrt2Pi = (1 / Math.Sqrt(2 * Math.PI)).ToScalar();
                    var cdf = z.mul(invSqrt2).erf_().add_(Scalars.One).mul_(Scalars.Half);
                    var pdf = z.Squared().mul_(Scalars.MinusHalf).exp_().mul_(invSqrt2Pi);
                    delta.mul_(cdf.add_(pdf.mul_(z)));
                    break;
                }
            }
        }
        return lossPerChain;
    }
}
