using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// The batched losses of <see cref="Losses"/> together with their gradient with respect to the network output, for
/// explicit backpropagation (<see cref="IExplicitGradient"/>).
/// </summary>
public static class LossGradients
{
    /// <summary>
    /// For <paramref name="output"/> <c>[C, B, K]</c>: the per-chain mean loss <c>[C]</c> and ∂(Σ_c L_c)/∂output
    /// <c>[C, B, K]</c>.
    /// Cross-entropy: L_c = (1/B)Σ_b [logsumexp(o_cb) − o_cb,y_b], ∂L/∂o_cb = (softmax(o_cb) − e_{y_b})/B.
    /// Gaussian NLL (<see cref="LossKind.Mse"/>): L_c = (1/B)Σ_b ½‖o_cb − y_b‖², ∂L/∂o_cb = (o_cb − y_b)/B.
    /// </summary>
    public static (Tensor Loss, Tensor OutputGradient) PerChain(LossKind kind, Tensor output, Tensor y)
    {
        long C = output.shape[0], B = output.shape[1];
        if (kind == LossKind.CrossEntropy)
        {
            var idx = y.view(1, -1, 1).expand(C, -1, 1);
            var lse = output.logsumexp(-1, keepdim: true);
            var loss = lse.sub(output.gather(-1, idx)).view(C, B).mean([1]);
            var grad = output.sub(lse).exp_();
            grad.scatter_add_(-1, idx, full([1, 1, 1], -1f, output.dtype, output.device).expand(C, B, 1));
            using var invB = (1.0 / B).ToScalar();
            return (loss, grad.mul_(invB));
        }
        var target = y.dim() == 1 ? y.unsqueeze(-1) : y;
        var diff = output.sub(target);
        var lossPerChain = diff.Squared().sum([2]).mean([1]).mul_(Scalars.Half);
        using var inv = (1.0 / B).ToScalar();
        return (lossPerChain, diff.mul_(inv));
    }
}
