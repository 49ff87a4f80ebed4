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
    /// <summary>Tolerance of the fine-tuning to a minimum: stop when the gradient bias bound (nβ‖g‖)²/2γ ≤ this (λ̂ units; see <see cref="Stationarity"/>).</summary>
    public double MinimumTolerance { get; init; } = Stationarity.DefaultTolerance;
    /// <summary>Cap on full-batch fine-tuning steps (a run that hits it is reported as not converged).</summary>
    public int MaxFineTuneSteps { get; init; } = 3000;
    /// <summary>INLP projections traced one by one (0: skip the INLP trace).</summary>
    public int InlpIterations { get; init; } = 6;
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
        Quick = true, Seeds = new long[] { 0, 1 }, Strengths = new[] { 0.0, 0.5, 1.0 }, InlpIterations = 2,
    };
}

/// <summary>
/// RQ1: how does LEACE change the LLC? For each seed: train on digits and fine-tune to a minimum (full-batch, stop at the
/// gradient criterion of <see cref="Stationarity"/>) → λ̂ before → fit LEACE on a hidden layer → λ̂ with the eraser inserted
/// as a fixed layer at strengths t ∈ (0, 1] ("during"), as is and after fine-tuning to a minimum with the eraser held fixed
/// → folded into the next layer's weights ("after"), as is and fine-tuned → weight-/data-restricted LLCs at the fine-tuned
/// t = 1 model → layer-by-layer scrubbing and INLP projection by projection (each step fine-tuned to a minimum).
/// λ̂ is defined only at a local minimum (Lau et al. 2023), so every "llc…" row has companions "llc…_valid" and
/// "llc…_grad_bias_bound" (<see cref="LlcRows.Validity"/>). Procedures: none, leace-inserted and leace-inserted-finetuned
/// (step = 100·t), leace-folded, leace-folded-finetuned, scrubbing (step = layers scrubbed), inlp (step = projections).
/// Erasers are fitted on the training split only; every probe metric is out of sample (trained and scored on disjoint halves of
/// the test split, <see cref="HeldOutProbe"/>), with <c>_in_sample</c>, <c>_chance</c> and <c>_leak</c> companions.
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
            var sgld = (o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed, ComputeMala = true };
            var x = task.Train.X; var y = task.Train.Y;
            var z = task.Train.Concept(o.Concept);
            // Probes are scored out of sample on the test split, which no eraser is fitted on (HeldOutProbe).
            var xTest = task.Test.X; var zTest = task.Test.Concept(o.Concept);
            string next = NextLayer(task.Model, o.Layer);
            void Add(ResultRow r) => table.Add(r);
            FineTuneOutcome Minimise(Network net, string procedure, long step, string? layer = null)
            {
                var ft = Stationarity.FineTuneToMinimum(net, task.Train, sgld, o.MinimumTolerance, o.MaxFineTuneSteps);
                Add(LlcRows.Metric(Name, o.Arch, "finetune_steps", ft.Steps, procedure, seed, step, layer));
                Add(LlcRows.Metric(Name, o.Arch, "finetune_converged", ft.Converged ? 1 : 0, procedure, seed, step, layer));
                return ft;
            }
            void Llc1(Network net, string procedure, long step, string? layer)
            {
                var r = Llc.Estimate(net, x, y, sgld);
                double g = Stationarity.GradNorm(net, x, y);
                Add(LlcRows.From(r, Name, o.Arch, procedure, seed, step, layer));
                foreach (var v in LlcRows.Validity(r, g, Name, o.Arch, procedure, seed, step, layer)) Add(v);
                double bound = Stationarity.BiasBound(g, r.NBeta, sgld.Localization);
                log?.WriteLine(FormattableString.Invariant(
                    $"seed {seed} {procedure,-25} step {step,4} λ̂ {r.Mean,7:F2} ± {r.Std:F2}  bias bound {bound,9:G3}  {LlcValidity.Check(r, bound).Describe()}"));
            }
            void ProbeAt(Func<Tensor, Tensor> repr, string procedure, long step, string layer)
            {
                using var scope = NewDisposeScope();
                var score = HeldOutProbe.Measure(repr(x), z, repr(xTest), zTest, seed);
                foreach (var row in HeldOutProbe.Rows(score, Name, o.Arch, "probe_accuracy", procedure, seed, step, layer)) Add(row);
            }
            // repr maps inputs to the representation the next layer reads at the erased layer.
            void Measure(Network net, string procedure, long step, Func<Tensor, Tensor> repr)
            {
                Llc1(net, procedure, step, o.Layer);
                Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(net, task.Test), procedure, seed, step));
                ProbeAt(repr, procedure, step, o.Layer);
                if (next.Length > 0) ProbeAt(xx => net.Activations(next, xx), procedure, step, next);
            }

            // "Before" must itself be a minimum: Adam with minibatches stops near, not at, one.
            var polish = Minimise(task.Model, "none", 0);
            log?.WriteLine(FormattableString.Invariant($"seed {seed} base model: {polish.Steps} full-batch steps to a minimum (‖∇L‖ {polish.GradNormBefore:G3} → {polish.GradNormAfter:G3})"));
            var acts = task.Activations(o.Layer, x);
            Measure(task.Model, "none", 0, xx => task.Activations(o.Layer, xx));
            using var eraser = Leace.Fit(acts, z);
            Network? tunedFull = null;
            foreach (var t in o.Strengths.Where(t => t > 0))
            {
                long step = (long)Math.Round(100 * t);
                var (m, c) = eraser.AffineForm(t);
                using var inserted = task.Model.WithFixedAffine(o.Layer, m, c);
                Measure(inserted, "leace-inserted", step, xx => inserted.Activations(o.Layer, xx));
                var tuned = inserted.Clone();
                Minimise(tuned, "leace-inserted-finetuned", step);
                Measure(tuned, "leace-inserted-finetuned", step, xx => tuned.Activations(o.Layer, xx));
                if (step == 100) { tunedFull?.Dispose(); tunedFull = tuned; } else tuned.Dispose();
            }
            var (m1, c1) = eraser.AffineForm(1.0);
            using var folded = eraser.FoldInto(task.Model, o.Layer);
            Measure(folded, "leace-folded", 100, xx => eraser.Apply(task.Activations(o.Layer, xx)));
            using var tunedFolded = folded.Clone();
            Minimise(tunedFolded, "leace-folded-finetuned", 100);
            // After fine-tuning, what the next layer reads is W′·h: probe the erased layer's raw activations projected by the eraser.
            Measure(tunedFolded, "leace-folded-finetuned", 100, xx => eraser.Apply(tunedFolded.Activations(o.Layer, xx)));

            if (o.Restricted)
            {
                // At the re-minimised t = 1 model (a minimum, unlike the raw inserted one).
                if (tunedFull is null)
                {
                    tunedFull = task.Model.WithFixedAffine(o.Layer, m1, c1);
                    Minimise(tunedFull, "leace-inserted-finetuned", 100);
                }
                var nextParams = NextLinearParameters(task.Model, o.Layer);
                string wLayer = next.Length > 0 ? next : "output";
                foreach (var (net, proc) in new[] { (task.Model, "none"), (tunedFull, "leace-inserted-finetuned") })
                {
                    long step = proc == "none" ? 0 : 100;
                    var rw = Llc.EstimateWeightRestricted(net, x, y, nextParams, sgld);
                    Add(LlcRows.From(rw, Name, o.Arch, proc, seed, step, wLayer, metric: "llc_weight_restricted"));
                    foreach (var v in LlcRows.Validity(rw, Stationarity.GradNorm(net, x, y), Name, o.Arch, proc, seed, step, wLayer, metric: "llc_weight_restricted")) Add(v);
                    foreach (long cv in new long[] { 0, 1 })
                    {
                        var idx = z.eq(cv).nonzero().squeeze(1);
                        var (xs, ys) = (x.index_select(0, idx), y.index_select(0, idx));
                        // MeasureOnly: w* is a minimum of the full training loss, not of each subset's loss (the subset gradient
                        // is large: bias bounds of 10–100), so the chains sample the training posterior and the subset loss is
                        // measured along them; stationarity is that of the training loss.
                        var r = Llc.EstimateDataRestricted(net, x, y, xs, ys, DataRestriction.MeasureOnly, sgld);
                        string subset = $"{o.Concept}={cv}";
                        Add(LlcRows.From(r, Name, o.Arch, proc, seed, step, o.Layer, subset, metric: "llc_data_restricted"));
                        foreach (var v in LlcRows.Validity(r, Stationarity.GradNorm(net, x, y), Name, o.Arch, proc, seed, step, o.Layer, subset, metric: "llc_data_restricted")) Add(v);
                    }
                }
                log?.WriteLine($"seed {seed} restricted LLCs done");
            }
            tunedFull?.Dispose();

            if (o.LayerByLayer)
            {
                // Concept scrubbing (inserted erasers): erase h1, re-minimise, fit on the resulting network's h2, and so on.
                using var scrubbed = ConceptScrubbing.Scrub(task.Model, x, z, mode: ScrubMode.Insert, afterLayer: (k, layer, current) =>
                {
                    Minimise(current, "scrubbing", k, layer);
                    Llc1(current, "scrubbing", k, layer);
                    Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(current, task.Test), "scrubbing", seed, k, layer));
                    ProbeAt(xx => current.Activations(layer, xx), "scrubbing", k, layer);
                });
            }

            if (o.InlpIterations > 0)
            {
                // INLP (Ravfogel et al. 2020) projection by projection: each cumulative eraser inserted at the layer, the
                // network re-minimised with it held fixed, then λ̂, accuracy and a fresh held-out probe.
                var inlp = Inlp.Fit(acts, z, new InlpOptions(MaxIterations: o.InlpIterations));
                foreach (var it in inlp.Iterations)
                {
                    long step = it.Iteration + 1;
                    var (m, c) = it.Eraser.AffineForm();
                    using var net = task.Model.WithFixedAffine(o.Layer, m, c);
                    Add(LlcRows.Metric(Name, o.Arch, "edit_rank", it.Rank, "inlp", seed, step, o.Layer));
                    Minimise(net, "inlp", step);
                    Measure(net, "inlp", step, xx => net.Activations(o.Layer, xx));
                }
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
