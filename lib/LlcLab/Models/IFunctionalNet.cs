using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>A named parameter with PyTorch <c>nn.Sequential</c> naming (<c>0.weight</c>, <c>2.bias</c>, …).</summary>
public sealed record ParameterInfo(string Name, long[] Shape)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    public override string ToString() => $"{Name} [{string.Join(",", Shape)}]";
}

/// <summary>
/// A network written as a pure function of its parameters, so that many parameter sets — one
/// per SGLD chain — are evaluated in one batched call instead of one module copy per chain
/// (devinterp deep-copies the model per chain; this is the idea that replaces it).
/// </summary>
public interface IFunctionalNet
{
    /// <summary>Parameters in module order, with the module's names and shapes.</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>
    /// Forward pass for C parameter sets at once. <paramref name="parameters"/>[i] has shape
    /// <c>[C, ..Parameters[i].Shape]</c>; <paramref name="x"/> is one batch <c>[B, ..]</c> shared
    /// by every chain. Returns <c>[C, B, outputs]</c>.
    /// </summary>
    Tensor Forward(IReadOnlyList<Tensor> parameters, Tensor x);

    /// <summary>
    /// A layout hint for samplers that own the parameter memory: true when the forward reads parameter
    /// <paramref name="index"/> through a transpose of its last two dimensions (as an MLP weight in <c>h·Wᵀ</c>), so
    /// storing it transposed makes that read contiguous. Shapes passed to <see cref="Forward"/> are unchanged.
    /// </summary>
    bool StoresTransposed(int index) => false;

    /// <summary>
    /// True when <see cref="Forward"/> also takes a single parameter set without the chain dimension (tensor i of shape
    /// <c>Parameters[i].Shape</c>) and then returns <c>[B, outputs]</c>, computed as the module computes it. A sampler with one
    /// chain uses that form: autograd then records no view of the chain dimension, which it would otherwise build and
    /// replay at every step (a view node costs about as much as a small kernel, forward and backward).
    /// </summary>
    bool AcceptsSingleChain => false;
}
