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
    public IFunctionalNet Functional { get; }

    Network(ModelSpec spec, nn.Module<Tensor, Tensor> module, IFunctionalNet functional)
    {
        Spec = spec; Module = module; Functional = functional;
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

    static (nn.Module<Tensor, Tensor>, IFunctionalNet) Build(ModelSpec s)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int idx = 0;
        for (int l = 0; l < s.Widths.Count - 1; l++)
        {
            layers.Add(($"{idx++}", nn.Linear(s.Widths[l], s.Widths[l + 1], hasBias: s.Bias)));
            if (l < s.Widths.Count - 2 && s.Activation.Module() is { } act) layers.Add(($"{idx++}", act));
        }
        var module = nn.Sequential(layers);
        return (module, new MlpFunctional(s.Widths, s.Activation, s.Bias));
    }

    void InitParameters(long seed)
    {
        using var g = Seeding.Generator(seed);
        using var _ = no_grad();
        var named = Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var info in Functional.Parameters)
        {
            var p = named[info.Name];
            long fanIn = info.Name.EndsWith(".bias") ? named[info.Name[..^5] + ".weight"].shape[1] : info.Shape[1];
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

    /// <summary>An independent copy (same spec, same weights).</summary>
    public Network Clone()
    {
        var (module, functional) = Build(Spec);
        var copy = new Network(Spec, module, functional);
        copy.Module.to(Device);
        copy.LoadStateDict(StateDict());
        return copy;
    }

    /// <summary>Names of the hidden representations, input to output: <c>h1</c> … <c>h{L-1}</c>
    /// (the output of the i-th hidden layer after its activation).</summary>
    public IReadOnlyList<string> LayerNames => Enumerable.Range(1, Spec.Widths.Count - 2).Select(i => $"h{i}").ToList();

    /// <summary>Hidden activations at <paramref name="layer"/> (see <see cref="LayerNames"/>) for inputs
    /// <paramref name="x"/> <c>[B, in]</c>, as <c>[B, width]</c>, without gradient.</summary>
    public Tensor Activations(string layer, Tensor x)
    {
        int i = LayerIndex(layer);
        using var _ = no_grad();
        var ps = ParameterTensors().Select(p => p.detach().unsqueeze(0)).ToList();
        using var h = ((MlpFunctional)Functional).ForwardUpTo(ps, x.to(Device), i);
        return h.squeeze(0).clone();
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
