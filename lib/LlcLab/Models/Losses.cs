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
    /// Note: this is ½·(number of outputs)× PyTorch's <c>MSELoss</c> (which averages over outputs too).
    /// With it, nβ·(L(w) − L(w*)) has exactly the asymptotics λ/β of Watanabe's theory, so ground truths such as
    /// λ = d/2 hold without rescaling nβ.</summary>
    Mse,
}

/// <summary>
/// The one definition of the losses of <see cref="LossKind"/> used for training, evaluation, explicit backprop and
/// SG-MCMC sampling. Outputs may carry leading chain dimensions (<c>[..., B, K]</c>); the value is the mean over the
/// batch dimension B, so a <c>[C, B, K]</c> output gives the per-chain loss <c>[C]</c>. Which loss the data call for
/// is decided by the target dtype alone: integer targets (int64, int32, int16, int8, uint8) are class labels →
/// cross-entropy; floating targets → Gaussian NLL.
/// </summary>
public static class Losses
{
    /// <summary>True for integer tensors (class labels); false for floating-point targets.</summary>
    public static bool IsClassLabels(Tensor targets) =>
        targets.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    /// <summary>The loss the data call for: <see cref="LossKind.CrossEntropy"/> for integer labels, <see cref="LossKind.Mse"/> for float targets.</summary>
    public static LossKind Infer(Tensor targets) => IsClassLabels(targets) ? LossKind.CrossEntropy : LossKind.Mse;

    /// <summary>Parses <c>mse</c>/<c>gaussian</c> and <c>ce</c>/<c>cross-entropy</c> (the CLI's <c>--loss</c>).</summary>
    public static LossKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "mse" or "gaussian" or "gaussiannll" or "nll" => LossKind.Mse,
        "ce" or "cross-entropy" or "crossentropy" or "cross_entropy" => LossKind.CrossEntropy,
        _ => throw new ArgumentException($"Unknown loss '{name}' (--loss). Use mse (Gaussian NLL, float targets) or ce (cross-entropy, integer labels)."),
    };

    /// <summary>Targets in the dtype the loss computes with: integer labels as int64 (what <c>gather</c> needs),
    /// float targets unchanged. Returns the input itself when no conversion is needed.</summary>
    public static Tensor Prepare(LossKind kind, Tensor targets) =>
        kind == LossKind.CrossEntropy && targets.dtype != ScalarType.Int64 && IsClassLabels(targets) ? targets.to(ScalarType.Int64) : targets;

    /// <summary>
    /// Mean loss over the batch dimension. <paramref name="output"/> is <c>[..., B, K]</c> (any leading chain
    /// dimensions); <paramref name="target"/> is <c>[B]</c> integer labels (cross-entropy) or <c>[B]</c> / <c>[B, K]</c>
    /// float targets (Gaussian NLL). Returns a tensor of the leading shape <c>[...]</c> (a scalar for an unbatched output).
    /// Cross-entropy is computed as logsumexp(o) − o_y: fewer autograd nodes than log_softmax + gather and a cheaper
    /// backward at <c>[C, B, K]</c> (measured 118 µs vs 200 µs at C = 8, B = 64, K = 10).
    /// </summary>
    public static Tensor Compute(LossKind kind, Tensor output, Tensor target) => PerSample(kind, output, target).mean([-1]);

    /// <summary>Per-example losses ℓ(f(x_b), y_b): <c>[..., B]</c> for an output <c>[..., B, K]</c>.</summary>
    public static Tensor PerSample(LossKind kind, Tensor output, Tensor target)
    {
        switch (kind)
        {
            case LossKind.CrossEntropy:
            {
                if (!IsClassLabels(target))
                    throw new ArgumentException($"Cross-entropy needs integer class labels, got {target.dtype}. Use LossKind.Mse for float targets.");
                var idx = LabelIndex(Prepare(kind, target), output);
                return output.logsumexp(-1).sub(output.gather(-1, idx).squeeze(-1));
            }
            case LossKind.Mse:
            {
                var t = target.is_floating_point() ? target : target.to(output.dtype);
                if (t.dim() == 1) t = t.unsqueeze(-1);
                if (t.shape[^1] != output.shape[^1])
                    throw new ArgumentException($"Gaussian-NLL (mse) targets have {t.shape[^1]} outputs per example but the model gives {output.shape[^1]}.");
                return output.sub(t).Squared().sum([-1]).mul_(Scalars.Half);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>
    /// For <paramref name="output"/> <c>[C, B, K]</c>: the per-chain mean loss <c>[C]</c> (as <see cref="Compute"/>) and
    /// ∂(Σ_c L_c)/∂output <c>[C, B, K]</c>, for explicit backpropagation (<see cref="IExplicitGradient"/>).
    /// Cross-entropy: L_c = (1/B)Σ_b [logsumexp(o_cb) − o_cb,y_b], ∂L/∂o_cb = (softmax(o_cb) − e_{y_b})/B.
    /// Gaussian NLL: L_c = (1/B)Σ_b ½‖o_cb − y_b‖², ∂L/∂o_cb = (o_cb − y_b)/B.
    /// </summary>
    public static (Tensor Loss, Tensor OutputGradient) ComputeWithGradient(LossKind kind, Tensor output, Tensor y)
    {
        long C = output.shape[0], B = output.shape[1];
        using var invB = (1.0 / B).ToScalar();
        if (kind == LossKind.CrossEntropy)
        {
            var idx = LabelIndex(Prepare(kind, y), output);
            var lse = output.logsumexp(-1, keepdim: true);
            var loss = lse.sub(output.gather(-1, idx)).view(C, B).mean([1]);
            var grad = output.sub(lse).exp_();
            grad.scatter_add_(-1, idx, full([1, 1, 1], -1f, output.dtype, output.device).expand(C, B, 1));
            return (loss, grad.mul_(invB));
        }
        var target = y.is_floating_point() ? y : y.to(output.dtype);
        if (target.dim() == 1) target = target.unsqueeze(-1);
        var diff = output.sub(target);
        var lossPerChain = diff.Squared().sum([2]).mean([1]).mul_(Scalars.Half);
        return (lossPerChain, diff.mul_(invB));
    }

    /// <summary>Labels <c>[B]</c> as a gather index <c>[..., B, 1]</c> matching <paramref name="output"/>'s leading dimensions
    /// (contiguous: a strided index makes gather's backward slower).</summary>
    static Tensor LabelIndex(Tensor labels, Tensor output)
    {
        if (output.dim() == 2) return labels.view(-1, 1);
        var lead = output.shape[..^2];
        var viewShape = Enumerable.Repeat(1L, lead.Length).Concat([labels.shape[0], 1L]).ToArray();
        return labels.view(viewShape).expand([.. lead, labels.shape[0], 1]).contiguous();
    }

    /// <summary>Checks shapes, dtypes and finiteness of (x, y) for <paramref name="loss"/>, with messages that name the fix.</summary>
    public static void Validate(LossKind loss, Tensor x, Tensor y, long outputs, string what = "training")
    {
        if (x.dim() < 2) throw new ArgumentException($"The {what} inputs x must be [n, features]; got shape [{string.Join(",", x.shape)}].");
        long n = x.shape[0];
        if (y.dim() < 1 || y.shape[0] != n)
            throw new ArgumentException($"The {what} targets y have {(y.dim() == 0 ? 0 : y.shape[0])} rows but x has {n}; x and y must have the same first dimension.");
        if (n < 2) throw new ArgumentException($"The {what} set has {n} sample(s); the LLC needs at least 2.");
        if (!x.is_floating_point()) throw new ArgumentException($"The {what} inputs x must be floating point (float32); got {x.dtype}.");
        using (var finite = x.isfinite().all()) if (!finite.item<bool>())
            throw new ArgumentException($"The {what} inputs x contain NaN or ∞ values; clean or impute them before estimating the LLC.");
        if (loss == LossKind.CrossEntropy)
        {
            if (!IsClassLabels(y) || y.dim() != 1)
                throw new ArgumentException($"Cross-entropy needs {what} labels y as integers (int64) of shape [n]; got {y.dtype} [{string.Join(",", y.shape)}]. Use the mse loss for float targets.");
            using var labels = y.to(ScalarType.Int64);
            using var mn = labels.min(); using var mx = labels.max();
            if (mn.item<long>() < 0 || mx.item<long>() >= outputs)
                throw new ArgumentException($"The {what} labels must lie in [0, {outputs - 1}] for a model with {outputs} outputs; got range [{mn.item<long>()}, {mx.item<long>()}].");
        }
        else
        {
            if (!y.is_floating_point())
                throw new ArgumentException($"The Gaussian-NLL (mse) loss needs float {what} targets y; got {y.dtype}. For class labels use the cross-entropy loss.");
            long k = y.dim() == 1 ? 1 : y.shape[1];
            if (y.dim() > 2 || k != outputs)
                throw new ArgumentException($"The {what} targets y have shape [{string.Join(",", y.shape)}] but the model has {outputs} outputs; y must be [n, {outputs}]{(outputs == 1 ? " or [n]" : "")}.");
            using var finite = y.isfinite().all();
            if (!finite.item<bool>()) throw new ArgumentException($"The {what} targets y contain NaN or ∞ values; clean them before estimating the LLC.");
        }
    }
}
