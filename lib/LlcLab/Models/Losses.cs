using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>The empirical loss L_n(w) a model is trained with (and that the LLC sampler uses).</summary>
public enum LossKind
{
    /// <summary>Mean negative log-likelihood of a softmax classifier: −(1/n)Σ_i log softmax(f(x_i))_{y_i}.</summary>
    CrossEntropy,
    /// <summary>Gaussian negative log-likelihood up to a constant (unit variance):
    /// (1/n)Σ_i ½‖y_i − f(x_i)‖² — per sample half the sum over outputs of squared errors, averaged over samples.
    /// Note: this is ½·(number of outputs)× PyTorch's <c>MSELoss</c> (which averages over outputs too).</summary>
    Mse,
}

/// <summary>Loss functions in batched form: outputs may carry leading chain dimensions.</summary>
public static class Losses
{
    /// <summary>The loss the data calls for: <see cref="LossKind.CrossEntropy"/> for int64 labels, <see cref="LossKind.Mse"/> for float targets.</summary>
    public static LossKind For(Tensor targets) => targets.dtype == ScalarType.Int64 ? LossKind.CrossEntropy : LossKind.Mse;

    /// <summary>
    /// Mean loss over the batch dimension. <paramref name="output"/> is <c>[..., B, K]</c> (any leading chain
    /// dimensions); <paramref name="target"/> is <c>[B]</c> int64 labels (cross-entropy) or <c>[B]</c> / <c>[B, K]</c>
    /// float targets (MSE). Returns a tensor of the leading shape <c>[...]</c> (a scalar for an unbatched output).
    /// </summary>
    public static Tensor Compute(LossKind kind, Tensor output, Tensor target)
    {
        switch (kind)
        {
            case LossKind.CrossEntropy:
            {
                if (target.dtype != ScalarType.Int64)
                    throw new ArgumentException($"Cross-entropy needs int64 class labels, got {target.dtype}. Use LossKind.Mse for float targets.");
                var logp = output.log_softmax(-1);
                var idx = target.unsqueeze(-1).expand([.. output.shape[..^1], 1]);
                return -logp.gather(-1, idx).squeeze(-1).mean([-1]);
            }
            case LossKind.Mse:
            {
                var t = target.dtype == ScalarType.Int64 ? target.to(output.dtype) : target;
                if (t.dim() == 1) t = t.unsqueeze(-1);
                if (t.shape[^1] != output.shape[^1])
                    throw new ArgumentException($"MSE targets have {t.shape[^1]} outputs per example but the model gives {output.shape[^1]}.");
                return (output - t).Squared().sum([-1]).mean([-1]) * 0.5;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
