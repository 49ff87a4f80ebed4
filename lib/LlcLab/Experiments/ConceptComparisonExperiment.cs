using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Settings of the RQ2 protocol (notebook 04).</summary>
public sealed record ConceptComparisonOptions
{
    /// <summary>Network architecture.</summary>
    public string Arch { get; init; } = "mlp:64-64-64-10:relu";
    /// <summary>Layer whose activations are erased.</summary>
    public string Layer { get; init; } = "h1";
    /// <summary>
    /// Concepts: digits concepts (parity, ge5, loop, spurious), "label" (the 10-class digit itself, rank 9) and
    /// "random" (a median split along a random direction of the activations: linearly decodable but unrelated to the task).
    /// </summary>
    public IReadOnlyList<string> Concepts { get; init; } = new[] { "parity", "ge5", "loop", "spurious", "label", "random" };
    /// <summary>Training seeds.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2 };
    /// <summary>Quick mode.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="DigitsTask.DefaultSgld"/>).</summary>
    public SgldOptions? Sgld { get; init; }

    /// <summary>CI-sized: 2 seeds, four concepts.</summary>
    public static ConceptComparisonOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0, 1 }, Concepts = new[] { "parity", "spurious", "label", "random" },
    };
}

/// <summary>
/// RQ2: erase different concepts from the same layer (LEACE, inserted as a fixed layer) and relate ΔLLC to the concept's
/// properties: held-out probe accuracy before erasure (how linearly available it is), mutual information with the label
/// (how task-relevant it is, bits), and the rank of the edit. λ̂ is defined only at a local minimum (Lau et al. 2023), and
/// the trained weights are not one once the eraser is inserted, so the base model and each erased model are fine-tuned to
/// a minimum (<see cref="Stationarity"/>.FineTuneToMinimum, eraser held fixed). Rows: procedure "none" (step 0),
/// "leace:&lt;concept&gt;" (step 100, inserted and re-minimised) and "leace-nofinetune:&lt;concept&gt;" (step 100, inserted
/// as is); every λ̂ row has "llc_valid" and "llc_grad_bias_bound" companions (<see cref="LlcRows.Validity"/>).
/// Erasers are fitted on the training split only; every probe metric is out of sample (trained and scored on disjoint halves of
/// the test split, <see cref="HeldOutProbe"/>), with <c>_in_sample</c>, <c>_chance</c> and <c>_leak</c> companions.
/// </summary>
public static class ConceptComparisonExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq2-concepts";

    /// <summary>Runs the protocol.</summary>
    public static ExperimentResult Run(ConceptComparisonOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ConceptComparisonOptions();
        var table = new ResultsTable();
        foreach (var seed in o.Seeds)
        {
            using var task = DigitsTask.Create(o.Arch, seed, o.Quick);
            var sgld = (o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed, ComputeMala = true };
            var x = task.Train.X; var y = task.Train.Y;
            LlcResult Estimate(Network net, string proc, long step)
            {
                var r = Llc.Estimate(net, x, y, sgld);
                table.Add(LlcRows.From(r, Name, o.Arch, proc, seed, step, o.Layer));
                foreach (var v in LlcRows.Validity(r, Stationarity.GradNorm(net, x, y), Name, o.Arch, proc, seed, step, o.Layer)) table.Add(v);
                return r;
            }
            var polish = Stationarity.FineTuneToMinimum(task.Model, task.Train, sgld);
            table.Add(LlcRows.Metric(Name, o.Arch, "finetune_steps", polish.Steps, "none", seed, 0));
            var acts = task.Activations(o.Layer, x);
            // Erasers are fitted on the training rows; probes are scored out of sample on the test split (HeldOutProbe).
            var xTest = task.Test.X;
            var testActs = task.Activations(o.Layer, xTest);
            void ProbeRows(string metric, Tensor train, Tensor zTrain, Tensor test, Tensor zTest, string proc) =>
                table.AddRange(HeldOutProbe.Rows(HeldOutProbe.Measure(train, zTrain, test, zTest, seed), Name, o.Arch, metric, proc, seed, 100, o.Layer));
            var before = Estimate(task.Model, "none", 0);
            table.Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(task.Model, task.Test), "none", seed, 0));
            var labels = y.cpu().data<long>().ToArray();
            foreach (var concept in o.Concepts)
            {
                var (z, zTest) = HeldOutConceptLabels(concept, task, acts, testActs, seed);
                string proc = "leace:" + concept;
                var zl = z.cpu().data<long>().ToArray();
                table.Add(LlcRows.Metric(Name, o.Arch, "mi_label_bits", Stats.MutualInformationBits(zl, labels), proc, seed, 100, o.Layer));
                ProbeRows("probe_accuracy_before", acts, z, testActs, zTest, proc);
                using var eraser = Leace.Fit(acts, z);
                table.Add(LlcRows.Metric(Name, o.Arch, "edit_rank", eraser.Rank, proc, seed, 100, o.Layer));
                using (var ea = eraser.Apply(acts)) using (var et = eraser.Apply(testActs)) ProbeRows("probe_accuracy_after", ea, z, et, zTest, proc);
                var (m, c) = eraser.AffineForm();
                using var erased = task.Model.WithFixedAffine(o.Layer, m, c);
                string raw = "leace-nofinetune:" + concept;
                var r0 = Estimate(erased, raw, 100);
                table.Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(erased, task.Test), raw, seed, 100));
                var ft = Stationarity.FineTuneToMinimum(erased, task.Train, sgld);
                table.Add(LlcRows.Metric(Name, o.Arch, "finetune_steps", ft.Steps, proc, seed, 100));
                table.Add(LlcRows.Metric(Name, o.Arch, "finetune_converged", ft.Converged ? 1 : 0, proc, seed, 100));
                var r = Estimate(erased, proc, 100);
                double acc = Evaluate.Accuracy(erased, task.Test);
                table.Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", acc, proc, seed, 100));
                using (var fa = erased.Activations(o.Layer, x)) using (var ft2 = erased.Activations(o.Layer, xTest)) ProbeRows("probe_accuracy_finetuned", fa, z, ft2, zTest, proc);
                log?.WriteLine(FormattableString.Invariant($"seed {seed} {concept,-9} λ̂ {before.Mean:F2} → {r0.Mean:F2} as inserted → {r.Mean:F2} re-minimised ({ft.Steps} steps)   test acc {acc:P1}   rank {eraser.Rank}"));
            }
        }
        return new ExperimentResult(Name, table);
    }

    /// <summary>The concept labels for <paramref name="concept"/> on the training rows.</summary>
    public static Tensor ConceptLabels(string concept, DigitsTask task, Tensor acts, long seed)
    {
        var (train, test) = HeldOutConceptLabels(concept, task, acts, acts, seed);
        if (!ReferenceEquals(train, test)) test.Dispose();
        return train;
    }

    /// <summary>The concept labels for <paramref name="concept"/> on the training rows and on the test rows (<paramref name="testActs"/>:
    /// the test split's activations at the layer). "random" is a median split of the training activations along a seeded random
    /// direction u; test rows use the same u and the same (training) threshold.</summary>
    public static (Tensor Train, Tensor Test) HeldOutConceptLabels(string concept, DigitsTask task, Tensor acts, Tensor testActs, long seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        switch (concept)
        {
            case "label": return (task.Train.Y, task.Test.Y);
            case "random":
                using (var g = LlcLab.Runtime.Seeding.Generator(LlcLab.Runtime.Seeding.Derive(seed, 99)))
                {
                    using var u = randn([acts.shape[1]], generator: g).to(acts.device);
                    using var proj = acts.matmul(u);
                    using var threshold = proj.median();
                    using var projTest = testActs.matmul(u);
                    return (proj.gt(threshold).to(ScalarType.Int64), projTest.gt(threshold).to(ScalarType.Int64));
                }
            default:
                if (!task.Train.Concepts.ContainsKey(concept))
                    throw new ArgumentException($"Unknown concept '{concept}'; use {string.Join(", ", task.Train.ConceptNames)}, label or random.");
                return (task.Train.Concept(concept), task.Test.Concept(concept));
        }
    }
}
