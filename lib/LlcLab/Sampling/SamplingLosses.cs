using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

using LlcLab.Models;

namespace LlcLab.Sampling;

/// <summary>
/// The sampler's losses (<see cref="LossKind"/>): batched over a leading chain dimension, with input validation and
/// loss inference. <see cref="LossKind.Mse"/> is the Gaussian negative log-likelihood with unit variance up to a
/// constant, ℓ = ½·Σ_outputs (y − f(x))² averaged over samples — not torch's <c>mse_loss</c>, which also averages over
/// outputs. With it, nβ·(L(w) − L(w*)) has exactly the asymptotics λ/β of Watanabe's theory, so ground truths such as
/// λ = d/2 hold without rescaling nβ. <see cref="LossKind.CrossEntropy"/> is the categorical NLL of int64 labels.
/// </summary>
public static class SamplingLosses
{
    /// <summary>Parses <c>mse</c>/<c>gaussian</c> and <c>ce</c>/<c>cross-entropy</c>.</summary>
    public static LossKind From(string name) => name.Trim().ToLowerInvariant() switch
    {
        "mse" or "gaussian" or "gaussiannll" or "nll" => LossKind.Mse,
        "ce" or "cross-entropy" or "crossentropy" or "cross_entropy" => LossKind.CrossEntropy,
        _ => throw new ArgumentException($"Unknown loss '{name}'. Use mse (Gaussian NLL, float targets) or ce (cross-entropy, int64 labels)."),
    };

    /// <summary>Integer targets → cross-entropy; floating targets → Gaussian NLL.</summary>
    public static LossKind Infer(Tensor y) => y.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte
        ? LossKind.CrossEntropy : LossKind.Mse;

    /// <summary>
    /// Per-chain mean loss. <paramref name="output"/> is <c>[C, B, K]</c>; <paramref name="y"/> is <c>[B]</c> int64 labels
    /// (cross-entropy) or <c>[B, K]</c> / <c>[B]</c> (K = 1) float targets. Returns <c>[C]</c>.
    /// </summary>
    public static Tensor PerChain(LossKind loss, Tensor output, Tensor y)
    {
        if (loss == LossKind.CrossEntropy)
        {
            // −log softmax(o)_y = logsumexp(o) − o_y. This form (with a contiguous index) has fewer autograd nodes than
            // log_softmax + gather and a cheaper backward at [C, B, K] (measured 118 µs vs 200 µs at C = 8, B = 64, K = 10).
            var idx = y.view(1, -1, 1).expand(output.shape[0], -1, 1).contiguous();
            return output.logsumexp(-1).sub(output.gather(-1, idx).squeeze(-1)).mean([1]);
        }
        var target = y.dim() == output.dim() - 2 ? y.unsqueeze(-1) : y;
        var diff = output.sub(target);
        return diff.Squared().sum([2]).mean([1]).mul(Scalars.Half);
    }

    /// <summary>Checks shapes, dtypes and finiteness, with messages that name the fix.</summary>
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
            if (y.is_floating_point() || y.dim() != 1)
                throw new ArgumentException($"Cross-entropy needs {what} labels y as int64 of shape [n]; got {y.dtype} [{string.Join(",", y.shape)}]. Use the mse loss for float targets.");
            using var mn = y.min(); using var mx = y.max();
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
