using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A batched network that computes the gradient of its loss by hand-derived backpropagation, without recording an
/// autograd graph. At the sizes the LLC is usually estimated at (small MLPs, deep linear networks) the autograd engine's
/// per-node bookkeeping costs more than the arithmetic, so an explicit backward pass roughly halves an SGLD step
/// (measured by <c>llclab bench llc</c>). Samplers use it when present and fall back to autograd otherwise; the tests
/// check it against autograd to float precision.
/// </summary>
public interface IExplicitGradient : IFunctionalNet
{
    /// <summary>False when this instance cannot (e.g. a wrapper around a network without an explicit backward pass).</summary>
    bool HasExplicitGradient => true;

    /// <summary>
    /// The per-chain mean loss <c>[C]</c> on one shared batch (<paramref name="x"/> <c>[B, ..]</c>,
    /// <paramref name="y"/> as for <see cref="Losses"/>), and the gradient of its sum over chains — each chain's own
    /// gradient, since chains are independent — written with <c>copy_</c> into <paramref name="gradients"/>[i] (same
    /// shape as <paramref name="parameters"/>[i]). A null entry skips that parameter (frozen in a weight-restricted LLC).
    /// Runs without autograd.
    /// </summary>
    Tensor LossAndGradient(IReadOnlyList<Tensor> parameters, Tensor x, Tensor y, LossKind loss, IReadOnlyList<Tensor?> gradients);
}
