using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A small CNN for 8×8 one-channel images given as <c>[B, 64]</c> rows (the digits data), equal to the PyTorch
/// <code>
/// nn.Sequential(nn.Unflatten(1, (1, 8, 8)),
///               nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 1.*  → "conv1" [16, 4, 4]
///               nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 4.*  → "conv2" [32, 2, 2]
///               nn.Flatten(), nn.Linear(128, 64), nn.ReLU(),                   # 8.*  → "fc1"   [64]
///               nn.Linear(64, 10))                                             # 10.*
/// </code>
/// for <c>cnn:digits:16-32</c>; <c>cnn:fashion:…</c> is the same for 28×28 images (<c>[B, 784]</c>, pooling floors 28 → 14 → 7 → 3)
/// (parameter names <c>1.weight</c>, <c>1.bias</c>, <c>4.weight</c>, …, <c>10.bias</c>).
/// Batched over chains by folding the chain dimension into the channels: the first convolution runs the C
/// chains' kernels as one convolution with C·out channels on the shared input, later ones as grouped
/// convolutions (groups = C) on <c>[B, C·ch, h, w]</c>. Hidden layers: <c>conv1</c>, <c>conv2</c>, … (after ReLU and
/// pooling; features = the <c>[ch, h, w]</c> map flattened in PyTorch order) and <c>fc1</c>.
/// </summary>
public sealed class CnnFunctional : ILayeredFunctional
{
    readonly long[] channels;
    readonly long fc;
    readonly int convs;
    readonly long side0;
    readonly List<string> names = [];
    readonly List<int> paramIndex = []; // index into parameters of each stage's weight

    /// <param name="channels">Channels per conv stage.</param>
    /// <param name="fc">Hidden fully connected width (0: none).</param>
    /// <param name="outputs">Classes.</param>
    /// <param name="side">Image side: 8 (digits) or 28 (Fashion-MNIST); inputs are <c>[B, side²]</c>.</param>
    public CnnFunctional(IReadOnlyList<long> channels, long fc, long outputs = 10, long side = 8)
    {
        this.channels = channels.ToArray();
        this.fc = fc;
        side0 = side;
        convs = channels.Count;
        var ps = new List<ParameterInfo>();
        long inCh = 1;
        int idx = 1; // 0 = Unflatten
        for (int s = 0; s < convs; s++)
        {
            paramIndex.Add(ps.Count);
            ps.Add(new ParameterInfo($"{idx}.weight", [channels[s], inCh, 3, 3]));
            ps.Add(new ParameterInfo($"{idx}.bias", [channels[s]]));
            names.Add($"conv{s + 1}");
            inCh = channels[s]; side /= 2; idx += 3;
        }
        idx += 1; // Flatten
        long features = inCh * side * side;
        if (fc > 0)
        {
            paramIndex.Add(ps.Count);
            ps.Add(new ParameterInfo($"{idx}.weight", [fc, features]));
            ps.Add(new ParameterInfo($"{idx}.bias", [fc]));
            names.Add("fc1");
            features = fc; idx += 2;
        }
        paramIndex.Add(ps.Count);
        ps.Add(new ParameterInfo($"{idx}.weight", [outputs, features]));
        ps.Add(new ParameterInfo($"{idx}.bias", [outputs]));
        Parameters = ps;
    }

    public IReadOnlyList<ParameterInfo> Parameters { get; }
    public IReadOnlyList<string> LayerNames => names;
    public int Depth => names.Count + 1;

    public Tensor Forward(IReadOnlyList<Tensor> p, Tensor x) => ForwardRange(p, x, 0, Depth);

    public bool AcceptsSingleChain => true;

    public Tensor ForwardRange(IReadOnlyList<Tensor> p, Tensor state, int from, int to)
    {
        var h = state;
        for (int l = from; l < to; l++)
        {
            var w = p[paramIndex[l]];
            var b = p[paramIndex[l] + 1];
            if (w.dim() == Parameters[paramIndex[l]].Shape.Length)
            {
                h = SingleChainLayer(l, h, w, b);
                continue;
            }
            long chains = w.shape[0];
            if (l < convs)
            {
                Tensor input; long groups;
                if (l == 0)
                {
                    if (h.dim() != 2 || h.shape[^1] != side0 * side0) throw new ArgumentException($"This CNN takes inputs [B, {side0 * side0}] ({side0}×{side0} images as rows), got [{string.Join(",", h.shape)}].");
                    input = h.reshape(h.shape[0], 1, side0, side0);
                    groups = 1;
                }
                else
                {
                    // [C, B, ch, s, s] → [B, C·ch, s, s]
                    input = h.transpose(0, 1).flatten(1, 2);
                    groups = chains;
                }
                long outCh = w.shape[1];
                var y = nn.functional.conv2d(input, w.flatten(0, 1), b.flatten(), padding: [1, 1], groups: groups);
                y = nn.functional.max_pool2d(nn.functional.relu(y), [2, 2]);
                // [B, C·out, s', s'] → [C, B, out, s', s']
                h = y.unflatten(1, [chains, outCh]).transpose(0, 1);
            }
            else
            {
                if (l == convs) h = h.flatten(2);
                var next = ChainAffine.Apply(h, w, b);
                h = l < Depth - 1 ? nn.functional.relu(next) : next;
            }
        }
        return h;
    }

    /// <summary>Layer <paramref name="l"/> for one parameter set without chain dimension (states <c>[B, ch, s, s]</c>, then
    /// <c>[B, f]</c>): the module's own operations, in its order.</summary>
    Tensor SingleChainLayer(int l, Tensor h, Tensor w, Tensor b)
    {
        if (l < convs)
        {
            if (l == 0)
            {
                if (h.dim() != 2 || h.shape[^1] != side0 * side0) throw new ArgumentException($"This CNN takes inputs [B, {side0 * side0}] ({side0}×{side0} images as rows), got [{string.Join(",", h.shape)}].");
                h = h.reshape(h.shape[0], 1, side0, side0);
            }
            return nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(h, w, b, padding: [1, 1])), [2, 2]);
        }
        if (l == convs) h = h.flatten(1);
        var next = nn.functional.linear(h, w, b);
        return l < Depth - 1 ? nn.functional.relu(next) : next;
    }

    public Tensor Features(Tensor state, int layer) => layer <= convs ? state.flatten(2) : state;

    public Tensor MapFeatures(Tensor state, int layer, Func<Tensor, Tensor> f) =>
        layer <= convs ? f(state.flatten(2)).reshape(state.shape) : f(state);

    /// <summary>The module and functional form for a <c>cnn:digits:…</c> or <c>cnn:fashion:…</c> spec.</summary>
    internal static (nn.Module<Tensor, Tensor>, ILayeredFunctional) Build(ModelSpec s)
    {
        long fc = s.Settings["fc"];
        int convs = (int)s.Settings["convs"];
        long side0 = s.Settings.TryGetValue("side", out var sd) ? sd : 8;
        var channels = s.Widths.Skip(1).Take(convs).ToArray();
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", nn.Unflatten(1, [1, side0, side0])) };
        var ends = new List<int>();
        long inCh = 1, side = side0;
        foreach (var ch in channels)
        {
            layers.Add(($"{layers.Count}", nn.Conv2d(inCh, ch, 3, padding: 1)));
            layers.Add(($"{layers.Count}", nn.ReLU()));
            layers.Add(($"{layers.Count}", nn.MaxPool2d(2)));
            ends.Add(layers.Count);
            inCh = ch; side /= 2;
        }
        layers.Add(($"{layers.Count}", nn.Flatten()));
        long features = inCh * side * side;
        if (fc > 0)
        {
            layers.Add(($"{layers.Count}", nn.Linear(features, fc)));
            layers.Add(($"{layers.Count}", nn.ReLU()));
            ends.Add(layers.Count);
            features = fc;
        }
        layers.Add(($"{layers.Count}", nn.Linear(features, s.Widths[^1])));
        return (new LayeredSequential(layers, ends.ToArray()), new CnnFunctional(channels, fc, s.Widths[^1], side0));
    }
}
