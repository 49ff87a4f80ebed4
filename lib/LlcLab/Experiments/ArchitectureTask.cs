using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>
/// A trained network of one family with the data it was trained on, for the RQ3 sweep (notebook 05):
/// MLPs (<c>mlp:</c>) and CNNs (<c>cnn:digits:</c>) on the digits (<see cref="DigitsTask"/>, concept <c>parity</c> of the digit),
/// transformers (<c>transformer:</c>) on modular addition mod 23 (<see cref="Sequences.ModularAddition"/>, concept
/// <c>parity</c> of (a + b) mod p). In both cases the erased concept is the parity of the label, a function of what the
/// network was trained to output. The erasure layer is the first hidden representation (h1, conv1, block1).
/// </summary>
public sealed class ArchitectureTask : IDisposable
{
    /// <summary>The modulus of the transformer's modular-addition task.</summary>
    public const int Modulus = 23;

    readonly IDisposable owner;

    /// <summary>Architecture spec.</summary>
    public string Arch { get; }
    /// <summary>mlp, cnn or transformer.</summary>
    public string Family { get; }
    /// <summary>The trained network (w*).</summary>
    public Network Model { get; }
    /// <summary>Training split.</summary>
    public Dataset Train { get; }
    /// <summary>Held-out split.</summary>
    public Dataset Test { get; }
    /// <summary>Training inputs as float32, what the LLC sampler takes (token ids are cast back to int64 inside the transformer).</summary>
    public Tensor SamplingX { get; }
    /// <summary>The hidden layer that is erased: the first one.</summary>
    public string Layer => Model.LayerNames[0];
    /// <summary>Seed of initialisation and minibatch order.</summary>
    public long Seed { get; }
    /// <summary>Accuracy on the training split.</summary>
    public double TrainAccuracy => Evaluate.Accuracy(Model, Train);
    /// <summary>Accuracy on the held-out split.</summary>
    public double TestAccuracy => Evaluate.Accuracy(Model, Test);
    /// <summary>Mean training loss per epoch.</summary>
    public IReadOnlyList<double> LossCurve { get; }

    ArchitectureTask(string arch, string family, Network model, Dataset train, Dataset test, long seed, IReadOnlyList<double> curve, IDisposable owner)
    {
        Arch = arch; Family = family; Model = model; Train = train; Test = test; Seed = seed; LossCurve = curve; this.owner = owner;
        SamplingX = train.X.is_floating_point() ? train.X : train.X.to(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>The family of a spec: the part before the first ':'.</summary>
    public static string FamilyOf(string arch) => ModelSpec.Parse(arch).Kind switch
    {
        "mlp" or "dln" => "mlp",
        var k => k,
    };

    /// <summary>Epochs of Adam for the transformer (minibatches of 64, lr 3e-3): enough to fit the 423 training sums
    /// (train loss ≈ 1e-3 after 300 epochs; 150 in quick mode reaches ≈ 99 % train accuracy).</summary>
    public static int TransformerEpochs(bool quick) => quick ? 150 : 400;

    /// <summary>Learning rate used to train (and fine-tune) a family.</summary>
    public static double LearningRate(string family) => family == "transformer" ? 3e-3 : 1e-3;

    /// <summary>Trains <paramref name="arch"/> from seed <paramref name="seed"/> on its family's task.</summary>
    public static ArchitectureTask Create(string arch, long seed = 0, bool quick = false)
    {
        var family = FamilyOf(arch);
        if (family is "mlp" or "cnn")
        {
            var t = DigitsTask.Create(arch, seed, quick);
            return new ArchitectureTask(arch, family, t.Model, t.Train, t.Test, seed, t.LossCurve, t);
        }
        if (family != "transformer")
            throw new ArgumentException($"The architecture sweep supports mlp:, cnn:digits: and transformer: specs, not '{arch}'.");
        var spec = ModelSpec.Parse(arch);
        if (spec.Settings["vocab"] != Modulus + 1 || spec.Settings["seq"] != 3 || spec.Settings["out"] != Modulus)
            throw new ArgumentException($"'{arch}': the modular-addition task needs vocab={Modulus + 1}, seq=3, out={Modulus} (tokens a, b, '=').");
        var (train, test) = ModAddSplits();
        var net = Network.Create(arch, seed, Devices.Default);
        var curve = Training.Fit(net, train, TransformerEpochs(quick), lr: LearningRate(family), seed: seed);
        return new ArchitectureTask(arch, family, net, train, test, seed, curve, net);
    }

    static (Dataset, Dataset)? modAdd;

    static (Dataset Train, Dataset Test) ModAddSplits()
    {
        lock (typeof(ArchitectureTask))
        {
            var dev = Devices.Default;
            if (modAdd is null || modAdd.Value.Item1.X.device.ToString() != dev.ToString())
            {
                var (tr, te) = Sequences.ModularAddition(Modulus).Split(0.2, seed: 0);
                modAdd = (Keep(tr.To(dev)), Keep(te.To(dev)));
            }
            return modAdd.Value;
        }
    }

    static Dataset Keep(Dataset d)
    {
        d.X.DetachFromDisposeScope(); d.Y.DetachFromDisposeScope();
        foreach (var c in d.Concepts.Values) c.DetachFromDisposeScope();
        return d;
    }

    /// <summary>
    /// SGLD settings per family, all full batch (so the MALA acceptance measures the step size, not minibatch noise).
    /// MLPs and CNNs train on digits and use the digits setting of notebooks 03–06, <see cref="DigitsTask.DefaultSgld"/>
    /// (ε = 2.5e-5, γ = 100, calibrated in notebook 01 on the trained and the erased 64-64-64-10 MLP); notebook 05 checks it per size
    /// on its widest and deepest MLP and its larger CNN (MALA ≥ 0.9 and λ̂ flat between ε/2 and ε on the trained and the erased model).
    /// The transformer (modular addition, n = 423) keeps ε = 1e-5 with γ = 1000, chosen from a minibatch sweep in which λ̂ grew with ε
    /// without a plateau at γ = 100 (25.8, 47.4, 74.5, 187 for ε = 1e-5 … 3e-4) and slowly at γ = 1000 (12.1, 13.8, 16.3, then divergence):
    /// the smallest ε and the stronger localization (its relaxation time 2/(εγ) = 200 steps). An earlier version sampled every family
    /// with minibatches of 256 at ε = 1e-4: MALA acceptance 0.3–0.8, and the erased wide MLP's chains disagreed by as much as λ̂.
    /// </summary>
    public static SgldOptions DefaultSgld(string family, bool quick)
    {
        if (family != "transformer") return DigitsTask.DefaultSgld(quick);
        var o = new SgldOptions { Lr = 1e-5, Localization = 1000, BatchSize = null };
        return quick ? o with { Chains = 2, Draws = 100, BurnIn = 100 } : o with { Chains = 4, Draws = 400, BurnIn = 400 };
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Arch} ({Model.ParameterCount:N0} parameters), seed {Seed}: train accuracy {TrainAccuracy:P1}, test accuracy {TestAccuracy:P1}, final loss {LossCurve[^1]:G3}");

    /// <inheritdoc />
    public void Dispose()
    {
        owner.Dispose();
        if (!ReferenceEquals(SamplingX, Train.X)) SamplingX.Dispose();
    }
}
