using LlcLab.Runtime;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;

namespace LlcLab.Experiments;

/// <summary>Settings of the RQ3 protocol (notebook 05).</summary>
public sealed record ArchitectureSweepOptions
{
    /// <summary>Architectures (spec strings): MLPs and CNNs train on digits, transformers on modular addition mod 23
    /// (see <see cref="ArchitectureTask"/>); each is erased at its first hidden layer.</summary>
    public IReadOnlyList<string> Archs { get; init; } = new[]
    {
        "mlp:64-16-10:relu", "mlp:64-32-10:relu", "mlp:64-64-10:relu", "mlp:64-128-10:relu", "mlp:64-256-10:relu",
        "mlp:64-64-64-10:relu", "mlp:64-64-64-64-10:relu",
        "cnn:digits:4:fc16", "cnn:digits:8:fc32",
        "transformer:vocab=24,d=8,heads=2,layers=2,seq=3,out=23", "transformer:vocab=24,d=16,heads=2,layers=2,seq=3,out=23",
    };
    /// <summary>Concept erased: the parity of the label (digit parity; (a + b) mod p parity for the transformer).</summary>
    public string Concept { get; init; } = "parity";
    /// <summary>Training seeds.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2 };
    /// <summary>Quick mode (shorter training and chains).</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings for every family (null: <see cref="ArchitectureTask.DefaultSgld"/> per family).</summary>
    public SgldOptions? Sgld { get; init; }
    /// <summary>Also estimate λ̂ right after inserting the eraser (before fine-tuning; usually not a minimum).</summary>
    public bool Inserted { get; init; } = true;
    /// <summary>Fine-tune the erased network (eraser fixed, all weights trainable) until the epoch loss plateaus, at most this many epochs.</summary>
    public int FineTuneMaxEpochs { get; init; } = 300;
    /// <summary>Plateau rule of the fine-tuning: stop when the epoch loss has not improved by a relative
    /// <see cref="FineTuneMinRelativeImprovement"/> for this many epochs (row <c>finetune_converged</c> = 1 when it stopped this way).</summary>
    public int FineTunePatience { get; init; } = 10;
    /// <summary>Relative improvement that counts as progress in the plateau rule (cross-entropy on separable data keeps
    /// shrinking slowly for ever, so a 1 % threshold, not an exact zero gradient, defines "converged").</summary>
    public double FineTuneMinRelativeImprovement { get; init; } = 0.01;
    /// <summary>Control: fine-tune the un-erased model with the same rule and estimate λ̂ (separates "erased" from "trained longer").</summary>
    public bool Control { get; init; } = true;
    /// <summary>Fine-tune only the parameters downstream of the erased layer (default). Training the upstream weights too lets
    /// them re-encode the concept in directions the fixed eraser does not remove (the eraser was fitted to the old
    /// activations), which undoes the erasure; with them frozen the erased layer stays exactly concept-free on the training
    /// data (LEACE's guarantee) and the rest of the network re-minimises around it.</summary>
    public bool FineTuneDownstreamOnly { get; init; } = true;
    /// <summary>Compute the MALA acceptance of every estimate (part of <see cref="LlcValidity"/>: MALA ≥ 0.9); it costs up to 2×
    /// sampling time for the CNN.</summary>
    public bool ComputeMala { get; init; } = true;
    /// <summary>Cap on the full-batch steps that take each model to a minimum before its λ̂ (<see cref="Stationarity.FineTuneToMinimum(Network, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, SgldOptions, double, int, double, OptimizerKind, double)"/>,
    /// gradient bias bound (nβ‖∇L‖)²/2γ ≤ 0.25).</summary>
    public int MaxPolishSteps { get; init; } = 2000;

    /// <summary>CI-sized: two MLPs, one CNN, one transformer, one seed, no control.</summary>
    public static ArchitectureSweepOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0 }, Control = false, FineTuneMaxEpochs = 60, FineTunePatience = 5, MaxPolishSteps = 600,
        Archs = new[] { "mlp:64-16-10:relu", "mlp:64-64-10:relu", "cnn:digits:8:fc32", "transformer:vocab=24,d=8,heads=2,layers=2,seq=3,out=23" },
    };
}

/// <summary>
/// RQ3: the RQ1 protocol across architectures and sizes. Per architecture and seed: train → take the model to a minimum (full-batch,
/// gradient bias bound ≤ 0.25, as in notebooks 03–06) → λ̂ (procedure <c>none</c>, step 0) → fit LEACE on the first hidden layer → insert
/// it as a fixed layer → λ̂ (<c>leace-inserted</c>, step 100; descriptive, not a minimum) → fine-tune the layers downstream of the eraser
/// until the loss plateaus, then take the whole network (eraser fixed) to a minimum → λ̂ (<c>leace-finetuned</c>, step 100); optionally
/// the control <c>none-finetuned</c> (the un-erased model through the same fine-tuning and minimisation). Every estimate writes the minimum
/// check of <see cref="LlcValidity"/> (<c>llc_valid</c>, <c>llc_grad_bias_bound</c>) and its diagnostics (<c>mala_acceptance</c>,
/// <c>fraction_below_init_loss</c>, <c>r_hat</c>, <c>at_minimum</c> = the estimator's own verdict). The parity probe at the erased layer is
/// recorded after the downstream fine-tuning (<c>probe_accuracy_downstream_tuned</c>: LEACE's guarantee still holds there) and after the
/// minimisation (<c>probe_accuracy</c>: upstream weights moved, so some of the concept may return). The metric <c>parameters</c> carries
/// the parameter count so ΔLLC can be plotted against it.
/// Erasers are fitted on the training split only; every probe metric is out of sample (trained and scored on disjoint halves of
/// the test split, <see cref="HeldOutProbe"/>), with <c>_in_sample</c>, <c>_chance</c> and <c>_leak</c> companions.
/// </summary>
public static class ArchitectureSweepExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq3-architectures";

    /// <summary>Procedures in the rows, in protocol order.</summary>
    public const string Before = "none", Inserted = "leace-inserted", FineTuned = "leace-finetuned", ControlFineTuned = "none-finetuned";

    /// <summary>Runs the protocol; <paramref name="log"/> receives one line per model.</summary>
    public static ExperimentResult Run(ArchitectureSweepOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ArchitectureSweepOptions();
        var table = new ResultsTable();
        foreach (var arch in o.Archs)
            foreach (var seed in o.Seeds)
            {
                using var task = ArchitectureTask.Create(arch, seed, o.Quick);
                var sgld = (o.Sgld ?? ArchitectureTask.DefaultSgld(task.Family, o.Quick)) with { Seed = seed, ComputeMala = o.ComputeMala };
                var x = task.SamplingX; var y = task.Train.Y;
                string layer = task.Layer;
                var z = task.Train.Concept(o.Concept);
                // The eraser is fitted on the training rows; probes are scored out of sample on the test split (HeldOutProbe).
                var zTest = task.Test.Concept(o.Concept);
                void ProbeRows(Network net, string metric, string proc, long step)
                {
                    using var h = net.Activations(layer, task.Train.X);
                    using var ht = net.Activations(layer, task.Test.X);
                    table.AddRange(HeldOutProbe.Rows(HeldOutProbe.Measure(h, z, ht, zTest, seed), Name, arch, metric, proc, seed, step, layer));
                }
                void Estimate(Network net, string proc, long step)
                {
                    var r = Llc.Estimate(net, x, y, sgld);
                    double g = Stationarity.GradNorm(net, x, y);
                    table.Add(LlcRows.From(r, Name, arch, proc, seed, step, layer));
                    table.AddRange(LlcRows.Validity(r, g, Name, arch, proc, seed, step, layer));
                    table.AddRange(DiagnosticRows(r, arch, proc, seed, step, layer));
                    var verdict = LlcValidity.Check(r, Stationarity.BiasBound(g, r.NBeta, sgld.Localization));
                    table.Add(LlcRows.Metric(Name, arch, "test_accuracy", Evaluate.Accuracy(net, task.Test), proc, seed, step));
                    ProbeRows(net, "probe_accuracy", proc, step);
                    log?.WriteLine(FormattableString.Invariant(
                        $"{arch,-58} seed {seed} {proc,-16} λ̂ {r.Mean,8:F2} ± {r.Std,5:F2}  MALA {(r.Diagnostics.MalaAcceptance is { } acc ? acc.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : " n/a")}  below L(w*) {r.Diagnostics.FractionBelowInitLoss:P0}  R̂ {r.Diagnostics.RHat:F2}{(verdict.Valid ? "" : $"  [{verdict.Describe()}]")}"));
                }
                void FineTune(Network net, string proc, long step)
                {
                    var frozen = o.FineTuneDownstreamOnly ? UpstreamParameters(net, layer, x) : new HashSet<string>();
                    var tensors = net.ParameterTensors();
                    foreach (var (p, info) in tensors.Zip(net.ParameterInfos)) if (frozen.Contains(info.Name)) p.requires_grad_(false);
                    var res = Trainer.Train(net, task.Train, new TrainOptions
                    {
                        LearningRate = ArchitectureTask.LearningRate(task.Family), BatchSize = 64, MaxEpochs = o.FineTuneMaxEpochs, Seed = seed + 1000,
                        Loss = LossKind.CrossEntropy, Patience = o.FineTunePatience, MinRelativeImprovement = o.FineTuneMinRelativeImprovement, KeepCheckpointsInMemory = false,
                    });
                    foreach (var p in tensors) p.requires_grad_(true);
                    table.Add(LlcRows.Metric(Name, arch, "finetune_epochs", res.Epochs, proc, seed, step));
                    table.Add(LlcRows.Metric(Name, arch, "finetune_converged", res.StopReason == "plateau" ? 1 : 0, proc, seed, step));
                    table.Add(LlcRows.Metric(Name, arch, "train_loss", res.FinalLoss, proc, seed, step));
                }

                void Minimise(Network net, string proc, long step)
                {
                    var ft = Stationarity.FineTuneToMinimum(net, x, y, sgld, maxSteps: o.MaxPolishSteps);
                    table.Add(LlcRows.Metric(Name, arch, "polish_steps", ft.Steps, proc, seed, step));
                    table.Add(LlcRows.Metric(Name, arch, "polish_converged", ft.Converged ? 1 : 0, proc, seed, step));
                }

                table.Add(LlcRows.Metric(Name, arch, "parameters", task.Model.ParameterCount, Before, seed, 0));
                table.Add(LlcRows.Metric(Name, arch, "train_loss", task.LossCurve[^1], Before, seed, 0));
                table.Add(LlcRows.Metric(Name, arch, "train_accuracy", task.TrainAccuracy, Before, seed, 0));
                Minimise(task.Model, Before, 0);
                Estimate(task.Model, Before, 0);
                using var acts = task.Model.Activations(layer, task.Train.X);
                using var eraser = Leace.Fit(acts, z);
                using var erased = eraser.InsertInto(task.Model, layer);
                if (o.Inserted) Estimate(erased, Inserted, 100);
                FineTune(erased, FineTuned, 100);
                ProbeRows(erased, "probe_accuracy_downstream_tuned", FineTuned, 100);
                Minimise(erased, FineTuned, 100);
                Estimate(erased, FineTuned, 100);
                if (o.Control)
                {
                    using var control = task.Model.Clone();
                    FineTune(control, ControlFineTuned, 0);
                    Minimise(control, ControlFineTuned, 0);
                    Estimate(control, ControlFineTuned, 0);
                }
            }
        return new ExperimentResult(Name, table);
    }

    /// <summary>Names of the parameters that influence the features at <paramref name="layer"/> (found by differentiating the
    /// features of a few inputs through the functional form: a parameter is upstream when its gradient is nonzero).</summary>
    public static HashSet<string> UpstreamParameters(Network net, string layer, TorchSharp.torch.Tensor x)
    {
        ArgumentNullException.ThrowIfNull(net);
        int i = net.LayerIndex(layer);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var ps = net.ParameterTensors().Select(p => p.detach().unsqueeze(0).requires_grad_(true)).ToList();
        var xs = x.narrow(0, 0, Math.Min(32, x.shape[0])).to(net.Device);
        var h = net.Layered.Features(net.Layered.ForwardRange(ps, xs, 0, i), i);
        h.Squared().sum().backward();
        var names = new HashSet<string>();
        for (int k = 0; k < ps.Count; k++)
            if (ps[k].grad is { } g && g.abs().sum().item<float>() > 0) names.Add(net.ParameterInfos[k].Name);
        return names;
    }

    /// <summary>The estimator's verdict on w*: false when a warning says it is not a local minimum (too many draws below
    /// L(w*) — still training — or a negative λ̂; see <see cref="Llc"/>).</summary>
    public static bool AtMinimum(LlcResult r) => !r.Diagnostics.Warnings.Any(w => w.Contains("not a local minimum", StringComparison.Ordinal));

    /// <summary>Rows of the sampler diagnostics of one estimate (metric names: mala_acceptance, fraction_below_init_loss, r_hat, at_minimum).</summary>
    public static IEnumerable<ResultRow> DiagnosticRows(LlcResult r, string model, string procedure, long seed, long step, string layer)
    {
        if (r.Diagnostics.MalaAcceptance is { } m) yield return LlcRows.Metric(Name, model, "mala_acceptance", m, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "fraction_below_init_loss", r.Diagnostics.FractionBelowInitLoss, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "r_hat", r.Diagnostics.RHat, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "at_minimum", AtMinimum(r) ? 1 : 0, procedure, seed, step, layer);
    }
}
