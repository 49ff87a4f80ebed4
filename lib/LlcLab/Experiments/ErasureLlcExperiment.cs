using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Settings of the RQ1 protocol (notebook 03); defaults are the full-size experiment.</summary>
public sealed record ErasureLlcOptions
{
    /// <summary>Network architecture.</summary>
    public string Arch { get; init; } = "mlp:64-64-64-10:relu";
    /// <summary>Digits concept to erase (parity, ge5, loop, spurious).</summary>
    public string Concept { get; init; } = "parity";
    /// <summary>Hidden layer whose activations are erased.</summary>
    public string Layer { get; init; } = "h1";
    /// <summary>Erasure strengths t: h ← h − t·(h − r(h)).</summary>
    public IReadOnlyList<double> Strengths { get; init; } = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 };
    /// <summary>Training seeds (one model per seed; error bars are across seeds).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2, 3, 4 };
    /// <summary>Epochs of fine-tuning after folding the eraser into the weights.</summary>
    public int FineTuneEpochs { get; init; } = 20;
    /// <summary>Whether to add weight-restricted (next layer) and data-restricted (concept = 0 / 1) LLCs.</summary>
    public bool Restricted { get; init; } = true;
    /// <summary>Whether to scrub every hidden layer in turn (concept scrubbing), estimating after each.</summary>
    public bool LayerByLayer { get; init; } = true;
    /// <summary>Quick mode: shorter training and chains.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="DigitsTask.DefaultSgld"/>); the seed is replaced per model.</summary>
    public SgldOptions? Sgld { get; init; }

    /// <summary>The CI-sized version: 2 seeds, strengths 0, 0.5, 1, short fine-tuning.</summary>
    public static ErasureLlcOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0, 1 }, Strengths = new[] { 0.0, 0.5, 1.0 }, FineTuneEpochs = 5,
    };
}

/// <summary>
/// RQ1: how does LEACE change the LLC? For each seed: train on digits → λ̂ before → fit LEACE on a hidden layer →
/// λ̂ with the eraser inserted as a fixed layer at strengths t ∈ [0, 1] ("during") → folded into the next layer's
/// weights ("after") → after fine-tuning the folded model; plus weight-/data-restricted LLCs and layer-by-layer
/// scrubbing. Procedures in the rows: none, leace-inserted (step = 100·t), leace-folded, leace-folded-finetuned,
/// scrubbing (step = layers scrubbed).
/// </summary>
public static class ErasureLlcExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq1-leace-llc";

    /// <summary>Runs the protocol; <paramref name="log"/> receives one line per estimate.</summary>
    public static ExperimentResult Run(ErasureLlcOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ErasureLlcOptions();
        var table = new ResultsTable();
        foreach (var seed in o.Seeds)
        {
            using var task = DigitsTask.Create(o.Arch, seed, o.Quick);
            var sgld = (o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed, ComputeMala = false };
            var x = task.Train.X; var y = task.Train.Y;
            var z = task.Train.Concept(o.Concept);
            string next = NextLayer(task.Model, o.Layer);
            void Add(ResultRow r) { table.Add(r); log?.WriteLine($"seed {seed} {r.Procedure,-24} step {r.Step,4} {r.Metric,-22} {r.DataSubset,-10} {r.Value:G4}"); }
            void Measure(Network net, string procedure, long step, Tensor erasedActs)
            {
                Add(LlcRows.From(Llc.Estimate(net, x, y, sgld), Name, o.Arch, procedure, seed, step, o.Layer));
                Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", DigitsTask.Accuracy(net, task.Test), procedure, seed, step));
                Add(LlcRows.Metric(Name, o.Arch, "probe_accuracy", Probe.HeldOut(erasedActs, z, seed).Accuracy, procedure, seed, step, o.Layer));
                if (next.Length > 0)
                    Add(LlcRows.Metric(Name, o.Arch, "probe_accuracy", Probe.HeldOut(net.Activations(next, x), z, seed).Accuracy, procedure, seed, step, next));
            }

            var acts = task.Activations(o.Layer, x);
            Measure(task.Model, "none", 0, acts);
            using var eraser = Leace.Fit(acts, z);
            foreach (var t in o.Strengths.Where(t => t > 0))
            {
                var (m, c) = eraser.AffineForm(t);
                using var inserted = task.Model.WithFixedAffine(o.Layer, m, c);
                Measure(inserted, "leace-inserted", (long)Math.Round(100 * t), eraser.Apply(acts, t));
            }
            var (m1, c1) = eraser.AffineForm(1.0);
            using var folded = Folding.FoldAffine(task.Model, o.Layer, m1, c1);
            Measure(folded, "leace-folded", 100, eraser.Apply(acts));
            using var tuned = folded.Clone();
            Training.Fit(tuned, task.Train, o.FineTuneEpochs, seed: seed);
            // After fine-tuning, what the next layer reads is W′·h: probe the erased layer's raw activations projected by the eraser.
            Measure(tuned, "leace-folded-finetuned", 100, eraser.Apply(tuned.Activations(o.Layer, x)));

            if (o.Restricted)
            {
                using var full = task.Model.WithFixedAffine(o.Layer, m1, c1);
                var nextParams = NextLinearParameters(task.Model, o.Layer);
                foreach (var (net, proc) in new[] { (task.Model, "none"), (full, "leace-inserted") })
                {
                    long step = proc == "none" ? 0 : 100;
                    Add(LlcRows.From(Llc.EstimateWeightRestricted(net, x, y, nextParams, sgld), Name, o.Arch, proc, seed, step, next.Length > 0 ? next : "output", metric: "llc_weight_restricted"));
                    foreach (long v in new long[] { 0, 1 })
                    {
                        var idx = z.eq(v).nonzero().squeeze(1);
                        var r = Llc.EstimateDataRestricted(net, x, y, x.index_select(0, idx), y.index_select(0, idx), DataRestriction.Posterior, sgld);
                        Add(LlcRows.From(r, Name, o.Arch, proc, seed, step, o.Layer, $"{o.Concept}={v}", metric: "llc_data_restricted"));
                    }
                }
            }

            if (o.LayerByLayer)
            {
                // Concept scrubbing: erase h1, then fit on the already-erased network's h2, and so on.
                var current = task.Model.Clone();
                int k = 0;
                foreach (var layer in task.Model.LayerNames)
                {
                    var h = current.Activations(layer, x);
                    using var e = Leace.Fit(h, z);
                    var (m, c) = e.AffineForm();
                    var nextNet = current.WithFixedAffine(layer, m, c);
                    current.Dispose();
                    current = nextNet;
                    k++;
                    Add(LlcRows.From(Llc.Estimate(current, x, y, sgld), Name, o.Arch, "scrubbing", seed, k, layer));
                    Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", DigitsTask.Accuracy(current, task.Test), "scrubbing", seed, k, layer));
                }
                current.Dispose();
            }
        }
        return new ExperimentResult(Name, table);
    }

    internal static string NextLayer(Network net, string layer)
    {
        int k = net.LayerIndex(layer);
        return k < net.LayerNames.Count ? net.LayerNames[k] : "";
    }

    internal static IReadOnlyList<string> NextLinearParameters(Network net, string layer)
    {
        int k = net.LayerIndex(layer);
        return net.ParameterInfos.Select(p => p.Name).Where(n => n == $"{2 * k}.weight" || n == $"{2 * k}.bias").ToList();
    }
}
