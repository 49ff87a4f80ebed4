using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// An <c>nn.Sequential</c>-like module (children named as registered, run in order) that also knows where its
/// hidden layers end, so it can be run between layer boundaries. Children named <c>"0"</c>, <c>"1"</c>, … give
/// exactly PyTorch <c>nn.Sequential</c> parameter names; extra non-numeric children (a fixed affine map inserted
/// by <see cref="Network.WithFixedAffine"/>, named <c>fixed_h1</c>) hold buffers only, so parameter names never shift.
/// </summary>
public sealed class LayeredSequential : nn.Module<Tensor, Tensor>, ILayeredModule
{
    readonly List<nn.Module<Tensor, Tensor>> steps = [];
    readonly int[] ends;

    /// <param name="layers">Children in order, with their names.</param>
    /// <param name="ends">ends[l] = number of children that complete hidden layer l + 1.</param>
    public LayeredSequential(IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> layers, int[] ends) : base("LayeredSequential")
    {
        foreach (var (name, m) in layers)
        {
            register_module(name, m);
            steps.Add(m);
        }
        this.ends = ends;
    }

    public IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> Layers =>
        named_children().Select(c => (c.name, (nn.Module<Tensor, Tensor>)c.module)).ToList();

    public int[] Ends => ends;

    public nn.Module<Tensor, Tensor> WithInsert(int layer, string name, nn.Module<Tensor, Tensor> insert)
    {
        var layers = Layers.ToList();
        int at = ends[layer - 1];
        layers.Insert(at, (name, insert));
        var newEnds = ends.Select((e, j) => j >= layer - 1 ? e + 1 : e).ToArray();
        return new LayeredSequential(layers, newEnds);
    }

    public override Tensor forward(Tensor x) => ForwardRange(x, 0, ends.Length + 1);

    public Tensor ForwardRange(Tensor state, int from, int to)
    {
        int start = from == 0 ? 0 : ends[from - 1];
        int stop = to == ends.Length + 1 ? steps.Count : ends[to - 1];
        var h = state;
        for (int i = start; i < stop; i++) h = steps[i].call(h);
        return h;
    }
}
