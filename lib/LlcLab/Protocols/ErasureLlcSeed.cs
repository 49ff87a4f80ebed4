using LlcLab.Analysis;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>
/// One seed of the RQ1 protocol (<see cref="ErasureLlcExperiment"/>), stage by stage, so that a notebook cell can run one stage by
/// itself: <see cref="Create"/> (train or load the model, the concept labels) → <see cref="Before"/> (polish to a minimum; λ̂, accuracy and
/// probes before) → <see cref="Strengths"/> (LEACE inserted at t ∈ (0, 1], as is and re-minimised) → <see cref="MatchedNulls"/> (t = 1
/// beside the matched null edits) → the optional <see cref="Folded"/>, <see cref="Restricted"/>, <see cref="LayerByLayer"/> and
/// <see cref="InlpSteps"/>. Every stage appends its tidy rows to <see cref="Table"/>. <see cref="Before"/> runs first: it moves the model
/// to the minimum w* that every later stage starts from, and the eraser is fitted on w*'s activations. <see cref="RunAll"/> runs the
/// stages the options switch on, in this order — what <see cref="ErasureLlcExperiment.Run"/> does for each seed.
/// Disposing disposes the eraser and the task (its model).
/// </summary>
public sealed class ErasureLlcSeed : IDisposable
{
    readonly TextWriter? log;
    Tensor? acts;
    IEraser? eraser;

    /// <summary>The protocol's settings.</summary>
    public ErasureLlcOptions Options { get; }
    /// <summary>The training seed (model initialisation, minibatch order, sampler, probes).</summary>
    public long Seed { get; }
    /// <summary>The data and the trained model (polished in place by <see cref="Before"/>).</summary>
    public ConceptTask Task { get; }
    /// <summary>The sampler settings of every estimate of this seed (MALA on).</summary>
    public SgldOptions Sgld { get; }
    /// <summary>Concept labels of the training rows (the eraser's fit rows) and of the test rows (the out-of-sample probe's).</summary>
    public (Tensor Train, Tensor Test) Concept { get; }
    /// <summary>The layer after the erased one ("" when the erased layer feeds the output).</summary>
    public string NextLayer { get; }
    /// <summary>The rows written so far.</summary>
    public ResultsTable Table { get; }

    ErasureLlcSeed(ErasureLlcOptions o, long seed, ConceptTask task, SgldOptions sgld, (Tensor, Tensor) concept, string next, ResultsTable table, TextWriter? log)
    {
        Options = o; Seed = seed; Task = task; Sgld = sgld; Concept = concept; NextLayer = next; Table = table; this.log = log;
    }

    /// <summary>Trains (or loads, <see cref="ConceptTask.Create"/>) the model of <paramref name="seed"/> and labels the concept; rows go to
    /// <paramref name="table"/> (a new table when null), one log line per estimate to <paramref name="log"/>.</summary>
    public static ErasureLlcSeed Create(ErasureLlcOptions options, long seed, ResultsTable? table = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var task = ConceptTask.Create(options.Data, options.Arch, seed, options.Quick);
        try
        {
            var sgld = (options.Sgld ?? ConceptTask.DefaultSgld(options.Data, options.Quick)) with { Seed = seed, ComputeMala = true };
            var z = ConceptComparisonExperiment.HeldOutConceptLabels(options.Concept, task, seed);
            return new ErasureLlcSeed(options, seed, task, sgld, z, ErasureLlcExperiment.NextLayer(task.Model, options.Layer), table ?? new ResultsTable(), log);
        }
        catch
        {
            task.Dispose();
            throw;
        }
    }

    string Name => ErasureLlcExperiment.Name;
    string Arch => Options.Arch;
    string Layer => Options.Layer;
    MatchedEditOptions Edits => Options.Edits;
    Tensor X => Task.Train.X;
    Tensor Y => Task.Train.Y;

    /// <summary>
    /// Re-minimises <paramref name="net"/> in place and records <c>finetune_steps</c> and <c>finetune_converged</c>. The base model
    /// (<paramref name="budget"/> false) is polished until the gradient bias bound (nβ‖∇L‖)²/2γ ≤ <see cref="ErasureLlcOptions.MinimumTolerance"/>
    /// (<see cref="Stationarity"/>); an edited model gets the fixed budget of the matched edits (<see cref="MatchedEditOptions.FineTuneSteps"/>
    /// full-batch steps), the same for every edit.
    /// </summary>
    public FineTuneOutcome Minimise(Network net, string procedure, long step, string? layer = null, bool budget = false)
    {
        var ft = budget
            ? Stationarity.FineTuneToMinimum(net, Task.Train, Sgld, tolerance: 0, maxSteps: Edits.FineTuneSteps, lr: Edits.FineTuneLr)
            : Stationarity.FineTuneToMinimum(net, Task.Train, Sgld, Options.MinimumTolerance, Options.MaxFineTuneSteps);
        Table.Add(LlcRows.Metric(Name, Arch, "finetune_steps", ft.Steps, procedure, Seed, step, layer));
        Table.Add(LlcRows.Metric(Name, Arch, "finetune_converged", ft.Converged ? 1 : 0, procedure, Seed, step, layer));
        return ft;
    }

    /// <summary>λ̂ of <paramref name="net"/> with its validity rows (<see cref="MatchedEdits.Estimate"/>), also at γ′ unless <paramref name="alt"/> is false.</summary>
    public LlcResult Estimate(Network net, string procedure, long step, string? layer, bool alt = true) =>
        MatchedEdits.Estimate(Table, net, Task.Train, Sgld, alt ? Edits : Edits with { AltLocalization = null }, Name, Arch, procedure, Seed, step, layer ?? Layer, log: log);

    /// <summary>Out-of-sample and in-sample probe accuracy (<see cref="HeldOutProbe.Measure"/>) of the representation <paramref name="repr"/>:
    /// trained on the eraser's fit rows' representations and on the test rows'.</summary>
    public void Probe(Func<Tensor, Tensor> repr, string procedure, long step, string layer)
    {
        using var scope = NewDisposeScope();
        var score = HeldOutProbe.Measure(repr(X), Concept.Train, repr(Task.Test.X), Concept.Test, Seed);
        Table.AddRange(HeldOutProbe.Rows(score, Name, Arch, "probe_accuracy", procedure, Seed, step, layer));
    }

    /// <summary>λ̂, test accuracy and the probes of one network; <paramref name="repr"/> maps inputs to what the next layer reads at the
    /// erased layer (the next layer's activations are probed too).</summary>
    public void Measure(Network net, string procedure, long step, Func<Tensor, Tensor> repr, bool alt = true)
    {
        Estimate(net, procedure, step, Layer, alt);
        Table.Add(LlcRows.Metric(Name, Arch, "test_accuracy", Evaluate.Accuracy(net, Task.Test), procedure, Seed, step));
        Probe(repr, procedure, step, Layer);
        if (NextLayer.Length > 0) Probe(xx => net.Activations(NextLayer, xx), procedure, step, NextLayer);
    }

    /// <summary>Stage 1, "before" (procedure none, step 0): polishes the model to a minimum (Adam with minibatches stops near, not at, one),
    /// then λ̂, accuracy and probes, and the weight-restricted λ̂ above the layer when the frozen variant is on.</summary>
    public FineTuneOutcome Before()
    {
        var polish = Minimise(Task.Model, "none", 0);
        log?.WriteLine(FormattableString.Invariant($"seed {Seed} {Task}; polish: {polish.Steps} full-batch steps (‖∇L‖ {polish.GradNormBefore:G3} → {polish.GradNormAfter:G3})"));
        acts = Task.Activations(Layer, X);
        Measure(Task.Model, "none", 0, xx => Task.Activations(Layer, xx));
        if (Edits.Frozen) MatchedEdits.EstimateAbove(Table, Task.Model, Task.Train, Sgld, Edits, Name, Arch, "none", Seed, 0, Layer, log);
        return polish;
    }

    /// <summary>The polished model's activations at the erased layer on the training rows (after <see cref="Before"/>).</summary>
    public Tensor Activations => acts ?? throw new InvalidOperationException("Run Before() first: the eraser is fitted at the polished minimum w*.");

    /// <summary>LEACE (<see cref="Leace.Fit"/>) fitted on <see cref="Activations"/> with the training concept labels, on first use.</summary>
    public IEraser Eraser => eraser ??= Leace.Fit(Activations, Concept.Train);

    /// <summary>Stage 2, "during" (step = 100·t): the eraser inserted as a fixed layer at each strength t ∈ (0, 1) of the options — λ̂ as
    /// inserted (off the minimum: one γ) and after the matched re-minimisation budget; t = 1 only as inserted (<see cref="MatchedNulls"/>
    /// re-minimises it).</summary>
    public void Strengths()
    {
        foreach (var t in Options.Strengths.Where(t => t > 0))
        {
            long step = (long)Math.Round(100 * t);
            var (m, c) = Eraser.AffineForm(t);
            using var inserted = Task.Model.WithFixedAffine(Layer, m, c);
            // As inserted the network is off its minimum (λ̂ is not an LLC there); one γ suffices for the record.
            Measure(inserted, "leace-inserted", step, xx => inserted.Activations(Layer, xx), alt: false);
            if (step == 100) continue; // t = 1 is re-minimised with its matched nulls below.
            using var tuned = inserted.Clone();
            Minimise(tuned, "leace-inserted-finetuned", step, budget: true);
            Measure(tuned, "leace-inserted-finetuned", step, xx => tuned.Activations(Layer, xx));
        }
    }

    /// <summary>Stage 3 (step 100): LEACE at t = 1 beside the matched null edits, each re-minimised with the same budget
    /// (<see cref="MatchedEdits.Run"/>).</summary>
    public void MatchedNulls()
    {
        _ = Activations;
        MatchedEdits.Run(Table, Task, Layer, Concept.Train, Concept.Test, Sgld, Edits, Name, ErasureLlcExperiment.Procedure, 100, log);
    }

    /// <summary>Optional stage: the eraser folded into the next layer (W′ = W·P, b′ = b + W·c), as is and re-minimised with the budget.</summary>
    public void Folded()
    {
        using var folded = Eraser.FoldInto(Task.Model, Layer);
        Measure(folded, "leace-folded", 100, xx => Eraser.Apply(Task.Activations(Layer, xx)), alt: false);
        using var tunedFolded = folded.Clone();
        Minimise(tunedFolded, "leace-folded-finetuned", 100, budget: true);
        // After fine-tuning, what the next layer reads is W′·h: probe the erased layer's raw activations projected by the eraser.
        Measure(tunedFolded, "leace-folded-finetuned", 100, xx => Eraser.Apply(tunedFolded.Activations(Layer, xx)));
    }

    /// <summary>Optional stage: the weight-restricted λ̂ of the next linear layer and the data-restricted λ̂ on each concept value, before
    /// and at the re-minimised t = 1 model (a minimum, unlike the raw inserted one).</summary>
    public void Restricted()
    {
        var (m1, c1) = Eraser.AffineForm(1.0);
        using var tunedFull = Task.Model.WithFixedAffine(Layer, m1, c1);
        Minimise(tunedFull, "leace-inserted-finetuned", 100, budget: true);
        var nextParams = ErasureLlcExperiment.NextLinearParameters(Task.Model, Layer);
        string wLayer = NextLayer.Length > 0 ? NextLayer : "output";
        foreach (var (net, proc) in new[] { (Task.Model, "none"), (tunedFull, "leace-inserted-finetuned") })
        {
            long step = proc == "none" ? 0 : 100;
            var rw = Llc.EstimateWeightRestricted(net, X, Y, nextParams, Sgld);
            Table.Add(LlcRows.From(rw, Name, Arch, proc, Seed, step, wLayer, metric: "llc_weight_restricted"));
            Table.AddRange(LlcRows.Validity(rw, Stationarity.GradNorm(net, X, Y, nextParams), Name, Arch, proc, Seed, step, wLayer, metric: "llc_weight_restricted"));
            foreach (long cv in new long[] { 0, 1 })
            {
                var idx = Concept.Train.eq(cv).nonzero().squeeze(1);
                var (xs, ys) = (X.index_select(0, idx), Y.index_select(0, idx));
                // MeasureOnly: w* is a minimum of the full training loss, not of each subset's loss (the subset gradient
                // is large: bias bounds of 10–100), so the chains sample the training posterior and the subset loss is
                // measured along them; stationarity is that of the training loss.
                var r = Llc.EstimateDataRestricted(net, X, Y, xs, ys, DataRestriction.MeasureOnly, Sgld);
                string subset = $"{Options.Concept}={cv}";
                Table.Add(LlcRows.From(r, Name, Arch, proc, Seed, step, Layer, subset, metric: "llc_data_restricted"));
                Table.AddRange(LlcRows.Validity(r, Stationarity.GradNorm(net, X, Y), Name, Arch, proc, Seed, step, Layer, subset, metric: "llc_data_restricted"));
            }
        }
        log?.WriteLine($"seed {Seed} restricted LLCs done");
    }

    /// <summary>Optional stage (procedure scrubbing, step = layer number): concept scrubbing with inserted erasers — erase h1, re-minimise,
    /// fit on the resulting network's h2, and so on — with λ̂, accuracy and the probe after each layer.</summary>
    public void LayerByLayer()
    {
        _ = Activations;
        using var scrubbed = ConceptScrubbing.Scrub(Task.Model, X, Concept.Train, mode: ScrubMode.Insert, afterLayer: (k, layer, current) =>
        {
            Minimise(current, "scrubbing", k, layer, budget: true);
            Estimate(current, "scrubbing", k, layer, alt: false);
            Table.Add(LlcRows.Metric(Name, Arch, "test_accuracy", Evaluate.Accuracy(current, Task.Test), "scrubbing", Seed, k, layer));
            Probe(xx => current.Activations(layer, xx), "scrubbing", k, layer);
        });
    }

    /// <summary>Optional stage (procedure inlp, step = round): INLP (Ravfogel et al. 2020) projection by projection, <paramref name="iterations"/>
    /// rounds (default <see cref="ErasureLlcOptions.InlpIterations"/>) — each cumulative eraser inserted at the layer, the network
    /// re-minimised with it held fixed, then λ̂, accuracy and a fresh held-out probe.</summary>
    public void InlpSteps(int? iterations = null)
    {
        int rounds = iterations ?? Options.InlpIterations;
        if (rounds < 1) throw new ArgumentException($"INLP needs at least one round (InlpIterations), got {rounds}.", nameof(iterations));
        var inlp = Inlp.Fit(Activations, Concept.Train, new InlpOptions(MaxIterations: rounds));
        foreach (var it in inlp.Iterations)
        {
            long step = it.Iteration + 1;
            var (m, c) = it.Eraser.AffineForm();
            using var net = Task.Model.WithFixedAffine(Layer, m, c);
            Table.Add(LlcRows.Metric(Name, Arch, "edit_rank", it.Rank, "inlp", Seed, step, Layer));
            Minimise(net, "inlp", step, budget: true);
            Measure(net, "inlp", step, xx => net.Activations(Layer, xx), alt: false);
        }
    }

    /// <summary>Every stage the options switch on, in protocol order (<see cref="ErasureLlcExperiment.Run"/> per seed).</summary>
    public void RunAll()
    {
        Before();
        _ = Eraser;
        Strengths();
        MatchedNulls();
        if (Options.Folded) Folded();
        if (Options.Restricted) Restricted();
        if (Options.LayerByLayer) LayerByLayer();
        if (Options.InlpIterations > 0) InlpSteps();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        eraser?.Dispose();
        Task.Dispose();
    }
}
