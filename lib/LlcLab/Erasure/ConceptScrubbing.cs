using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>How <see cref="ConceptScrubbing"/> puts each layer's eraser into the network.</summary>
public enum ScrubMode
{
    /// <summary>Fold into the next layer's weights (original architecture).</summary>
    Fold,
    /// <summary>Insert a fixed affine layer (<c>Network.WithFixedAffine</c>).</summary>
    Insert,
}

/// <summary>One scrubbed layer.</summary>
public sealed record ScrubbedLayer(string Layer, LeaceEraser Eraser);

/// <summary>Result of <see cref="ConceptScrubbing.Scrub"/>: the scrubbed network and the eraser of every layer, in order
/// (disposing it disposes both).</summary>
public sealed record ScrubResult(Network Network, IReadOnlyList<ScrubbedLayer> Layers) : IDisposable
{
    public void Dispose()
    {
        Network.Dispose();
        foreach (var l in Layers) l.Eraser.Dispose();
    }
}

/// <summary>
/// Concept scrubbing (Belrose et al. 2023, §6 and Alg. 1): erase the concept layer after layer, input to output,
/// each eraser fitted on the activations of the network whose earlier layers are already erased — so later
/// erasers see the representation the scrubbed network actually computes. <c>afterLayer</c> lets a protocol act on the
/// network between layers (RQ1 re-minimises the loss and estimates λ̂ there), and the next eraser is fitted on the result.
/// </summary>
public static class ConceptScrubbing
{
    /// <param name="net">The network (left unchanged).</param>
    /// <param name="x">Inputs used to fit the erasers.</param>
    /// <param name="z">Concept labels or columns for <paramref name="x"/>.</param>
    /// <param name="layers">Hidden layers to scrub, in forward order (default: all of <see cref="Network.LayerNames"/>).</param>
    /// <param name="options">LEACE options for every layer.</param>
    /// <param name="mode">Fold (default; same architecture) or insert.</param>
    /// <param name="strength">Erasure strength t ∈ [0, 1] for every layer.</param>
    /// <param name="afterLayer">Called with (layers scrubbed so far, layer name, network) after each layer; it may change the
    /// network's parameters in place (e.g. fine-tune it), and the next layer's eraser is fitted on the changed network.</param>
    public static ScrubResult Scrub(Network net, Tensor x, Tensor z, IReadOnlyList<string>? layers = null, LeaceOptions? options = null,
                                    ScrubMode mode = ScrubMode.Fold, double strength = 1.0, Action<int, string, Network>? afterLayer = null)
    {
        var names = layers ?? net.LayerNames;
        if (names.Count == 0) throw new ArgumentException($"'{net.Spec}' has no hidden layers to scrub.");
        var order = names.Select(net.LayerIndex).ToList();
        for (int i = 1; i < order.Count; i++)
            if (order[i] <= order[i - 1]) throw new ArgumentException($"Layers must be distinct and in forward order; got {string.Join(", ", names)}.");
        var current = net.Clone();
        var done = new List<ScrubbedLayer>();
        foreach (var layer in names)
        {
            var eraser = FitAt(current, layer, x, z, options);
            var next = mode == ScrubMode.Fold ? eraser.FoldInto(current, layer, strength) : eraser.InsertInto(current, layer, strength);
            current.Dispose();
            current = next;
            done.Add(new ScrubbedLayer(layer, eraser));
            afterLayer?.Invoke(done.Count, layer, current);
        }
        return new ScrubResult(current, done);
    }

    static LeaceEraser FitAt(Network net, string layer, Tensor x, Tensor z, LeaceOptions? options)
    {
        using var h = net.Activations(layer, x);
        return Leace.Fit(h, z, options);
    }
}
