using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Analysis;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>Settings of the RQ1 protocol (notebook 03); defaults are the full-size experiment on Fashion-MNIST.</summary>
public sealed record ErasureLlcOptions
{
    /// <summary>Data set: "fashion-mnist" (default, <see cref="ConceptTask"/>) or "digits" (the fast teaching set).</summary>
    public string Data { get; init; } = ConceptTask.Fashion;
    /// <summary>Network architecture (its input width must match the data: 784 for Fashion-MNIST, 64 for digits).</summary>
    public string Arch { get; init; } = "mlp:784-128-10:relu";
    /// <summary>Concept to erase (Fashion-MNIST: footwear, upper, spurious; digits: parity, ge5, loop, spurious; "label").</summary>
    public string Concept { get; init; } = "footwear";
    /// <summary>Hidden layer whose activations are erased.</summary>
    public string Layer { get; init; } = "h1";
    /// <summary>Erasure strengths t: h ← h − t·(h − r(h)); t = 1 gets the matched null edits, t ∈ (0, 1) only LEACE.</summary>
    public IReadOnlyList<double> Strengths { get; init; } = new[] { 0.0, 0.5, 1.0 };
    /// <summary>Training seeds (one model per seed; intervals are across seeds; ≥ 10 for the headline comparisons).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = Enumerable.Range(0, 10).Select(i => (long)i).ToArray();
    /// <summary>Tolerance of the base model's polish to a minimum: stop when the gradient bias bound (nβ‖g‖)²/2γ ≤ this (λ̂ units; see <see cref="Stationarity"/>).</summary>
    public double MinimumTolerance { get; init; } = Stationarity.DefaultTolerance;
    /// <summary>Cap on full-batch steps of the base model's polish (a run that hits it is reported as not converged).</summary>
    public int MaxFineTuneSteps { get; init; } = 1000;
    /// <summary>The matched edits: re-minimisation budget (the same for every edit), null edits, frozen variant, second γ.</summary>
    public MatchedEditOptions Edits { get; init; } = DefaultEdits(quick: false);
    /// <summary>INLP projections traced one by one (0: skip the INLP trace).</summary>
    public int InlpIterations { get; init; }
    /// <summary>Whether to add weight-restricted (next layer) and data-restricted (concept = 0 / 1) LLCs.</summary>
    public bool Restricted { get; init; }
    /// <summary>Whether to scrub every hidden layer in turn (concept scrubbing), estimating after each.</summary>
    public bool LayerByLayer { get; init; }
    /// <summary>Whether to add the folded eraser (as is and re-minimised with the same budget).</summary>
    public bool Folded { get; init; }
    /// <summary>Quick mode: a small data subset, shorter training and chains.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="ConceptTask.DefaultSgld"/>); the seed is replaced per model.</summary>
    public SgldOptions? Sgld { get; init; }

    /// <summary>The edit settings of the protocols: 300 full-batch re-minimisation steps (quick 60), nulls and frozen variant on,
    /// γ′ = 10γ (Fashion-MNIST's γ = 300 → 3000, ε′ from <see cref="ConceptTask.FashionLr"/>; 10× up rather than down because the
    /// chains relax in 2/(εγ) steps, which at γ/10 would be longer than the chains).</summary>
    public static MatchedEditOptions DefaultEdits(bool quick) => new()
    {
        FineTuneSteps = quick ? 60 : 300, AltLocalization = ConceptTask.FashionLocalization * 10, AltLr = ConceptTask.FashionLr(ConceptTask.FashionLocalization * 10),
    };

    /// <summary>The CI-sized version: 2 seeds, strengths 0, 1, a 2,000-image subset, short chains and re-minimisation, no frozen variant.</summary>
    public static ErasureLlcOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0, 1 }, Strengths = new[] { 0.0, 1.0 }, MaxFineTuneSteps = 300, Edits = DefaultEdits(quick: true) with { Frozen = false },
    };
}

/// <summary>
/// RQ1: how does LEACE change the LLC, and is the change more than any edit of the same size would make? For each seed: train on
/// the data (<see cref="ConceptTask"/>) and polish to a minimum (full batch, stop at the gradient criterion of <see cref="Stationarity"/>)
/// → λ̂ before → fit LEACE on a hidden layer (training rows only) → λ̂ with the eraser inserted as a fixed layer at strengths t ∈ (0, 1]
/// ("during"), as is and after re-minimisation with the eraser held fixed → at t = 1, the matched null edits (a)–(d) of
/// <see cref="MatchedEdits"/> beside LEACE, each re-minimised with the same budget, in two variants (all layers; layers below frozen)
/// → optional folding, restricted LLCs, layer-by-layer scrubbing and INLP.
/// λ̂ is defined only at a local minimum (Lau et al. 2023), so every "llc…" row has companions "llc…_valid" (minimum checks),
/// "llc…_strict_valid" (also R̂ ≤ 1.1 and MALA ≥ 0.9) and "llc…_check_{name}" (<see cref="LlcRows.Validity"/>); with
/// <see cref="MatchedEditOptions.AltLocalization"/> each is repeated at γ′ as "llc…_alt_gamma".
/// Procedures: none (step 0), leace-inserted (raw) and leace-inserted-finetuned (step = 100·t), leace-frozen,
/// {null-orth, null-oblique, null-invertible, null-whitened}-{finetuned, frozen} (step 100), leace-folded(-finetuned), scrubbing, inlp.
/// Frozen variants and "none" carry the weight-restricted λ̂ of the parameters above the layer (<see cref="MatchedEdits.AboveMetric"/>).
/// Every probe metric is out of sample (trained and scored on disjoint halves of the test split, <see cref="HeldOutProbe"/>), with
/// <c>_in_sample</c>, <c>_chance</c> and <c>_leak</c> companions.
/// </summary>
public static class ErasureLlcExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq1-leace-llc";

    /// <summary>The procedure name of an edit/variant at t = 1 (LEACE keeps the stage names of the strength sweep).</summary>
    public static string Procedure(string edit, string variant) => (edit, variant) switch
    {
        ("leace", "finetuned") => "leace-inserted-finetuned",
        ("leace", "frozen") => "leace-frozen",
        _ => $"{edit}-{variant}",
    };

    /// <summary>Runs the protocol; <paramref name="log"/> receives one line per estimate.</summary>
    public static ExperimentResult Run(ErasureLlcOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ErasureLlcOptions();
        var table = new ResultsTable();
        foreach (var seed in o.Seeds)
        {
            using var task = ConceptTask.Create(o.Data, o.Arch, seed, o.Quick);
            var sgld = (o.Sgld ?? ConceptTask.DefaultSgld(o.Data, o.Quick)) with { Seed = seed, ComputeMala = true };
            var edits = o.Edits;
            var x = task.Train.X; var y = task.Train.Y;
            var z = ConceptComparisonExperiment.HeldOutConceptLabels(o.Concept, task, seed);
            // Probes are scored out of sample on the test split, which no eraser is fitted on (HeldOutProbe).
            var xTest = task.Test.X; var zTest = z.Test;
            string next = NextLayer(task.Model, o.Layer);
            void Add(ResultRow r) => table.Add(r);
            FineTuneOutcome Minimise(Network net, string procedure, long step, string? layer = null, bool budget = false)
            {
                // The base model is polished to the gradient criterion; edited models get the fixed budget of the matched edits.
                var ft = budget
                    ? Stationarity.FineTuneToMinimum(net, task.Train, sgld, tolerance: 0, maxSteps: edits.FineTuneSteps, lr: edits.FineTuneLr)
                    : Stationarity.FineTuneToMinimum(net, task.Train, sgld, o.MinimumTolerance, o.MaxFineTuneSteps);
                Add(LlcRows.Metric(Name, o.Arch, "finetune_steps", ft.Steps, procedure, seed, step, layer));
                Add(LlcRows.Metric(Name, o.Arch, "finetune_converged", ft.Converged ? 1 : 0, procedure, seed, step, layer));
                return ft;
            }
            void Llc1(Network net, string procedure, long step, string? layer, bool alt = true) =>
                MatchedEdits.Estimate(table, net, task.Train, sgld, alt ? edits : edits with { AltLocalization = null }, Name, o.Arch, procedure, seed, step, layer ?? o.Layer, log: log);
            void ProbeAt(Func<Tensor, Tensor> repr, string procedure, long step, string layer)
            {
                using var scope = NewDisposeScope();
                var score = HeldOutProbe.Measure(repr(x), z.Train, repr(xTest), zTest, seed);
                foreach (var row in HeldOutProbe.Rows(score, Name, o.Arch, "probe_accuracy", procedure, seed, step, layer)) Add(row);
            }
            // repr maps inputs to the representation the next layer reads at the erased layer.
            void Measure(Network net, string procedure, long step, Func<Tensor, Tensor> repr, bool alt = true)
            {
                Llc1(net, procedure, step, o.Layer, alt);
                Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(net, task.Test), procedure, seed, step));
                ProbeAt(repr, procedure, step, o.Layer);
                if (next.Length > 0) ProbeAt(xx => net.Activations(next, xx), procedure, step, next);
            }

            // "Before" must itself be a minimum: Adam with minibatches stops near, not at, one.
            var polish = Minimise(task.Model, "none", 0);
            log?.WriteLine(FormattableString.Invariant($"seed {seed} {task}; polish: {polish.Steps} full-batch steps (‖∇L‖ {polish.GradNormBefore:G3} → {polish.GradNormAfter:G3})"));
            var acts = task.Activations(o.Layer, x);
            Measure(task.Model, "none", 0, xx => task.Activations(o.Layer, xx));
            if (edits.Frozen) MatchedEdits.EstimateAbove(table, task.Model, task.Train, sgld, edits, Name, o.Arch, "none", seed, 0, o.Layer, log);
            using var eraser = Leace.Fit(acts, z.Train);
            foreach (var t in o.Strengths.Where(t => t > 0))
            {
                long step = (long)Math.Round(100 * t);
                var (m, c) = eraser.AffineForm(t);
                using var inserted = task.Model.WithFixedAffine(o.Layer, m, c);
                // As inserted the network is off its minimum (λ̂ is not an LLC there); one γ suffices for the record.
                Measure(inserted, "leace-inserted", step, xx => inserted.Activations(o.Layer, xx), alt: false);
                if (step == 100) continue; // t = 1 is re-minimised with its matched nulls below.
                using var tuned = inserted.Clone();
                Minimise(tuned, "leace-inserted-finetuned", step, budget: true);
                Measure(tuned, "leace-inserted-finetuned", step, xx => tuned.Activations(o.Layer, xx));
            }
            MatchedEdits.Run(table, task, o.Layer, z.Train, zTest, sgld, edits, Name, Procedure, 100, log);

            if (o.Folded)
            {
                using var folded = eraser.FoldInto(task.Model, o.Layer);
                Measure(folded, "leace-folded", 100, xx => eraser.Apply(task.Activations(o.Layer, xx)), alt: false);
                using var tunedFolded = folded.Clone();
                Minimise(tunedFolded, "leace-folded-finetuned", 100, budget: true);
                // After fine-tuning, what the next layer reads is W′·h: probe the erased layer's raw activations projected by the eraser.
                Measure(tunedFolded, "leace-folded-finetuned", 100, xx => eraser.Apply(tunedFolded.Activations(o.Layer, xx)));
            }

            if (o.Restricted)
            {
                // At the re-minimised t = 1 model (a minimum, unlike the raw inserted one).
                var (m1, c1) = eraser.AffineForm(1.0);
                using var tunedFull = task.Model.WithFixedAffine(o.Layer, m1, c1);
                Minimise(tunedFull, "leace-inserted-finetuned", 100, budget: true);
                var nextParams = NextLinearParameters(task.Model, o.Layer);
                string wLayer = next.Length > 0 ? next : "output";
                foreach (var (net, proc) in new[] { (task.Model, "none"), (tunedFull, "leace-inserted-finetuned") })
                {
                    long step = proc == "none" ? 0 : 100;
                    var rw = Llc.EstimateWeightRestricted(net, x, y, nextParams, sgld);
                    Add(LlcRows.From(rw, Name, o.Arch, proc, seed, step, wLayer, metric: "llc_weight_restricted"));
                    foreach (var v in LlcRows.Validity(rw, Stationarity.GradNorm(net, x, y, nextParams), Name, o.Arch, proc, seed, step, wLayer, metric: "llc_weight_restricted")) Add(v);
                    foreach (long cv in new long[] { 0, 1 })
                    {
                        var idx = z.Train.eq(cv).nonzero().squeeze(1);
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

            if (o.LayerByLayer)
            {
                // Concept scrubbing (inserted erasers): erase h1, re-minimise, fit on the resulting network's h2, and so on.
                using var scrubbed = ConceptScrubbing.Scrub(task.Model, x, z.Train, mode: ScrubMode.Insert, afterLayer: (k, layer, current) =>
                {
                    Minimise(current, "scrubbing", k, layer, budget: true);
                    Llc1(current, "scrubbing", k, layer, alt: false);
                    Add(LlcRows.Metric(Name, o.Arch, "test_accuracy", Evaluate.Accuracy(current, task.Test), "scrubbing", seed, k, layer));
                    ProbeAt(xx => current.Activations(layer, xx), "scrubbing", k, layer);
                });
            }

            if (o.InlpIterations > 0)
            {
                // INLP (Ravfogel et al. 2020) projection by projection: each cumulative eraser inserted at the layer, the
                // network re-minimised with it held fixed, then λ̂, accuracy and a fresh held-out probe.
                var inlp = Inlp.Fit(acts, z.Train, new InlpOptions(MaxIterations: o.InlpIterations));
                foreach (var it in inlp.Iterations)
                {
                    long step = it.Iteration + 1;
                    var (m, c) = it.Eraser.AffineForm();
                    using var net = task.Model.WithFixedAffine(o.Layer, m, c);
                    Add(LlcRows.Metric(Name, o.Arch, "edit_rank", it.Rank, "inlp", seed, step, o.Layer));
                    Minimise(net, "inlp", step, budget: true);
                    Measure(net, "inlp", step, xx => net.Activations(o.Layer, xx), alt: false);
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
