using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>
/// A model the library can train, erase inside and sample around: a TorchSharp module with
/// PyTorch <c>nn.Sequential</c> parameter names, plus its batched functional form
/// (<see cref="Functional"/>) used by the vectorised SGLD sampler.
/// </summary>
public sealed partial class Network : IDisposable
{
    public ModelSpec Spec { get; }
    public nn.Module<Tensor, Tensor> Module { get; }
    public IFunctionalNet Functional => Layered;
    /// <summary>The batched functional form, cuttable at hidden layers.</summary>
    public ILayeredFunctional Layered { get; }
    /// <summary>Fixed affine maps inserted by <see cref="WithFixedAffine"/>, innermost first.</summary>
    public IReadOnlyList<FixedAffineInsert> FixedAffines { get; }

    Network(ModelSpec spec, nn.Module<Tensor, Tensor> module, ILayeredFunctional functional, IReadOnlyList<FixedAffineInsert>? inserts = null)
    {
        Spec = spec; Module = module; Layered = functional; FixedAffines = inserts ?? [];
    }

    /// <summary>Builds the model for <paramref name="spec"/> with weights drawn from a private generator seeded by <paramref name="seed"/>
    /// (PyTorch's default init: U(−1/√fan_in, 1/√fan_in) for weights and biases).</summary>
    public static Network Create(string spec, long seed = 0, Device? device = null)
    {
        TorchRuntime.Initialize();
        var s = ModelSpec.Parse(spec);
        var (module, functional) = Build(s);
        var net = new Network(s, module, functional);
        net.InitParameters(seed);
        net.Module.to(device ?? Devices.Default);
        return net;
    }

    static (nn.Module<Tensor, Tensor>, ILayeredFunctional) Build(ModelSpec s) => s.Kind switch
    {
        "mlp" or "dln" => BuildMlp(s),
        "cnn" => CnnFunctional.Build(s),
        "transformer" => TransformerFunctional.Build(s),
        _ => throw new ArgumentException($"Unknown model kind '{s.Kind}'."),
    };

    static (nn.Module<Tensor, Tensor>, ILayeredFunctional) BuildMlp(ModelSpec s)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var ends = new List<int>();
        int idx = 0;
        for (int l = 0; l < s.Widths.Count - 1; l++)
        {
            layers.Add(($"{idx++}", nn.Linear(s.Widths[l], s.Widths[l + 1], hasBias: s.Bias)));
            if (l < s.Widths.Count - 2 && s.Activation.Module() is { } act) layers.Add(($"{idx++}", act));
            if (l < s.Widths.Count - 2) ends.Add(layers.Count);
        }
        return (new LayeredSequential(layers, ends.ToArray()), new MlpFunctional(s.Widths, s.Activation, s.Bias));
    }

    /// <summary>PyTorch's default initialisation drawn from a private generator: weights and biases
    /// U(−1/√fan_in, 1/√fan_in) with fan_in = ∏ weight.shape[1..] (Linear, Conv2d, attention projections);
    /// embeddings (<c>*embed.weight</c>, <c>pos_embed</c>) N(0, 1/d).</summary>
    void InitParameters(long seed)
    {
        using var g = Seeding.Generator(seed);
        using var _ = no_grad();
        var named = Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var info in Functional.Parameters)
        {
            var p = named[info.Name];
            if (info.Name.EndsWith("embed.weight") || info.Name == "pos_embed")
            {
                using var z = randn(info.Shape, generator: g);
                p.copy_(z / Math.Sqrt(info.Shape[^1]));
                continue;
            }
            var wShape = info.Name.EndsWith("bias") ? named[info.Name[..^4] + "weight"].shape : info.Shape;
            long fanIn = wShape.Skip(1).Aggregate(1L, (a, b) => a * b);
            double bound = 1.0 / Math.Sqrt(fanIn);
            using var u = rand(info.Shape, generator: g);
            p.copy_(u * (2 * bound) - bound);
        }
    }

    public Device Device => Module.parameters().First().device;

    /// <summary>Parameter names and shapes, in <see cref="Functional"/> order.</summary>
    public IReadOnlyList<ParameterInfo> ParameterInfos => Functional.Parameters;

    public long ParameterCount => ParameterInfos.Sum(p => p.Count);

    /// <summary>The module's live parameter tensors, in <see cref="Functional"/> order.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> ParameterTensors()
    {
        var named = Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return ParameterInfos.Select(i => named[i.Name]).ToList();
    }

    /// <summary>Inference forward pass (no gradient).</summary>
    public Tensor Forward(Tensor x)
    {
        using var _ = no_grad();
        Module.eval();
        return Module.call(x.to(Device));
    }

    /// <summary>Copies of the parameters keyed by PyTorch name (the state dict).</summary>
    public Dictionary<string, Tensor> StateDict() =>
        ParameterTensors().Zip(ParameterInfos).ToDictionary(t => t.Second.Name, t => t.First.detach().clone());

    /// <summary>Loads parameters by PyTorch name; names and shapes must match exactly.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var expected = ParameterInfos.ToDictionary(p => p.Name);
        var extra = state.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (extra.Count > 0 || missing.Count > 0)
            throw new ArgumentException(
                $"State dict does not match model '{Spec}': missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]. " +
                $"Expected: {string.Join(", ", ParameterInfos)}.");
        using var _ = no_grad();
        foreach (var (p, info) in ParameterTensors().Zip(ParameterInfos))
        {
            var t = state[info.Name];
            if (!t.shape.SequenceEqual(info.Shape))
                throw new ArgumentException($"Parameter '{info.Name}' has shape [{string.Join(",", t.shape)}] but model '{Spec}' expects [{string.Join(",", info.Shape)}].");
            p.copy_(t.to(p.dtype).to(p.device));
        }
    }

    /// <summary>An independent copy (same spec, same weights, same fixed affine maps).</summary>
    public Network Clone()
    {
        var copy = Assemble(Spec, FixedAffines, Device);
        copy.LoadStateDict(StateDict());
        return copy;
    }

    /// <summary>Builds the module and functional form for a spec with fixed affine maps inserted, on a device (weights uninitialised).</summary>
    static Network Assemble(ModelSpec spec, IReadOnlyList<FixedAffineInsert> inserts, Device device)
    {
        var (module, functional) = Build(spec);
        var seen = new Dictionary<string, int>();
        foreach (var ins in inserts)
        {
            int l = functional.LayerNames.ToList().IndexOf(ins.Layer) + 1;
            int k = seen[ins.Layer] = seen.GetValueOrDefault(ins.Layer) + 1;
            var m = ins.Matrix.to(device); var c = ins.Offset.to(device);
            module = ((ILayeredModule)module).WithInsert(l, k == 1 ? $"fixed_{ins.Layer}" : $"fixed_{ins.Layer}_{k}", new FixedAffineModule(m, c, flatten: spec.Kind == "cnn"));
            functional = new FixedAffineFunctional(functional, l, m, c);
        }
        module.to(device);
        return new Network(spec, module, functional, inserts);
    }

    /// <summary>Names of the hidden representations, input to output (MLP/DLN: <c>h1</c> … <c>h{L-1}</c>, the output of
    /// the i-th hidden layer after its activation; CNN: <c>conv1</c>, <c>conv2</c>, …, <c>fc1</c>; transformer:
    /// <c>block1</c>, … — see the Cnn and Transformer classes).</summary>
    public IReadOnlyList<string> LayerNames => Layered.LayerNames;

    /// <summary>Hidden activations at <paramref name="layer"/> (see <see cref="LayerNames"/>) for inputs
    /// <paramref name="x"/> <c>[B, …]</c>, as features <c>[B, F]</c>, without gradient (after any fixed affine map at that layer).</summary>
    public Tensor Activations(string layer, Tensor x)
    {
        int i = LayerIndex(layer);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var ps = ParameterTensors().Select(p => p.detach().unsqueeze(0)).ToList();
        var h = Layered.Features(Layered.ForwardRange(ps, x.to(Device), 0, i), i);
        return h.squeeze(0).contiguous().clone().MoveToOuterDisposeScope();
    }

    /// <summary>1-based index of a hidden layer name; a clear error lists the valid names.</summary>
    public int LayerIndex(string layer)
    {
        int i = LayerNames.ToList().IndexOf(layer);
        if (i < 0) throw new ArgumentException($"Model '{Spec}' has no layer '{layer}'. Layers: {string.Join(", ", LayerNames)}.");
        return i + 1;
    }

    public override string ToString() => $"{Spec} ({ParameterCount:N0} parameters)";

    public void Dispose() => Module.Dispose();
}
