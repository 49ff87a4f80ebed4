using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A batched functional network that can be cut at its named hidden layers, so a layer's representation can be
/// read (probes, erasers) or transformed in place (<see cref="Network.WithFixedAffine"/>). Layer boundaries are
/// numbered 0 (the input) … <see cref="Depth"/> (the output); boundary l (1 ≤ l &lt; Depth) is the hidden layer
/// <c>LayerNames[l − 1]</c>. A "state" is the network's internal value at a boundary, with the chain dimension
/// first (<c>[C, B, …]</c>); the input state is the shared batch <c>x</c> <c>[B, …]</c>.
/// </summary>
public interface ILayeredFunctional : IFunctionalNet
{
    /// <summary>Hidden layer names, input to output (e.g. <c>h1</c>, <c>conv1</c>, <c>block1</c>).</summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>Number of boundaries after the input: hidden layers + 1.</summary>
    int Depth => LayerNames.Count + 1;

    /// <summary>Runs boundary <paramref name="from"/> to boundary <paramref name="to"/> (0 ≤ from ≤ to ≤ Depth).</summary>
    Tensor ForwardRange(IReadOnlyList<Tensor> parameters, Tensor state, int from, int to);

    /// <summary>The representation at a hidden boundary as features <c>[C, B, F]</c> (what probes and erasers see).</summary>
    Tensor Features(Tensor state, int layer);

    /// <summary>Applies <paramref name="f"/> (acting on the last dimension of a feature tensor) to a hidden state, returning a state of the same shape.</summary>
    Tensor MapFeatures(Tensor state, int layer, Func<Tensor, Tensor> f);
}

/// <summary>The module-side counterpart of <see cref="ILayeredFunctional"/> (no chain dimension).</summary>
public interface ILayeredModule
{
    Tensor ForwardRange(Tensor state, int from, int to);

    /// <summary>A module sharing this one's children, with <paramref name="insert"/> (buffers only) applied at the
    /// end of hidden layer <paramref name="layer"/> and registered as <paramref name="name"/>.</summary>
    TorchSharp.torch.nn.Module<Tensor, Tensor> WithInsert(int layer, string name, TorchSharp.torch.nn.Module<Tensor, Tensor> insert);
}
