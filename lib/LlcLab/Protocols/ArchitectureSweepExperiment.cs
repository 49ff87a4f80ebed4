using LlcLab.Runtime;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Analysis;
using LlcLab.Tasks;

namespace LlcLab.Protocols;

/// <summary>
/// RQ3: does LEACE's effect on the LLC depend on architecture and size? Per architecture and seed (<see cref="ArchitectureSweepOptions"/>):
/// <list type="number">
/// <item>train (<see cref="ArchitectureTask"/>), take the model to a minimum (full-batch Adam until the gradient bias bound
///   (nβ‖∇L‖)²/2γ ≤ 0.25) → λ̂ (<c>none</c>, step 0);</item>
/// <item>fit LEACE at the erasure layers on the training rows (concept scrubbing for the transformer: every block, each eraser fitted on
///   the already-scrubbed network, <see cref="ConceptScrubbing"/>), insert as fixed layers → λ̂ (<c>leace-inserted</c>, step 100;
///   descriptive, not a minimum);</item>
/// <item>fine-tune the weights downstream of the last erased layer until the loss plateaus (S optimizer steps), then take the whole
///   network to a minimum (P full-batch steps) → λ̂ (<c>leace-finetuned</c>, step 100);</item>
/// <item>control <c>none-finetuned</c> (step 0): the un-erased model through <b>exactly</b> S fine-tuning steps (same frozen parameters,
///   same minibatch order) and P minimisation steps;</item>
/// <item>matched null <c>{null}-finetuned</c> (step 100; e.g. <c>null-oblique-finetuned</c>): each layer's eraser replaced by its matched
///   null edit (<see cref="NullEdits"/>; same layer and rank), through exactly the same S and P steps.</item>
/// </list>
/// ΔLLC = λ̂(leace-finetuned) − λ̂(none); the excess over the null, λ̂(leace-finetuned) − λ̂(null-finetuned), has the same "before" and
/// the same training length, so it is the part of ΔLLC owed to erasing the concept (<see cref="ArchitectureSummaries"/>).
/// Every estimate writes the validity companions of <see cref="LlcRows.Validity"/> (<c>llc_valid</c> = at a minimum;
/// <c>llc_strict_valid</c> = also R̂ ≤ 1.1 and MALA ≥ 0.9; <c>llc_check_*</c>) and its diagnostics. Minibatch chains take their MALA
/// acceptance from a short full-batch chain at the same settings (<see cref="MalaProbe"/>). Step counts are rows
/// (<c>finetune_steps</c>, <c>polish_steps</c>) so the matching is checkable. The γ ladder adds <c>llc_gamma</c> rows (localization column).
/// Erasers are fitted on the training split only; probes are out of sample (<see cref="HeldOutProbe"/> on the test split) with
/// <c>_in_sample</c>, <c>_chance</c> and <c>_leak</c> companions, one per erased layer.
/// </summary>
public static class ArchitectureSweepExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq3-architectures";

    /// <summary>Procedures in the rows, in protocol order.</summary>
    public const string Before = "none", Inserted = "leace-inserted", FineTuned = "leace-finetuned", ControlFineTuned = "none-finetuned";

    /// <summary>Procedure name of the matched null edit's fine-tuned model, e.g. <c>null-oblique-finetuned</c>.</summary>
    public static string NullFineTuned(string nullEdit) => nullEdit + "-finetuned";

    /// <summary>Runs the protocol; <paramref name="log"/> receives one line per estimate.</summary>
    public static ExperimentResult Run(ArchitectureSweepOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ArchitectureSweepOptions();
        if (o.NullEdit is { } ne && !NullEdits.Names.Contains(ne))
            throw new ArgumentException($"NullEdit must be one of {string.Join(", ", NullEdits.Names)} or null, got '{ne}'.");
        var table = new ResultsTable();
        foreach (var arch in o.Archs)
            foreach (var seed in o.Seeds)
                RunOne(o, arch, seed, o.GammaLadder.Count > 0 && o.GammaLadderSeeds.Contains(seed), table, log);
        return new ExperimentResult(Name, table);
    }

    static void RunOne(ArchitectureSweepOptions o, string arch, long seed, bool ladder, ResultsTable table, TextWriter? log)
    {
        using var task = ArchitectureTask.Create(arch, seed, o.Quick);
        var sgld = (o.Sgld ?? ArchitectureTask.SgldFor(arch, o.Quick)) with { Seed = seed, ComputeMala = o.ComputeMala };
        var x = task.SamplingX; var y = task.Train.Y;
        var layers = task.ErasureLayers;
        string concept = o.Concept ?? task.Concept;
        var z = task.Train.Concept(concept);
        var zTest = task.Test.Concept(concept);

        void ProbeRows(Network net, string metric, string proc, long step)
        {
            foreach (var layer in layers)
            {
                using var h = net.Activations(layer, task.Train.X);
                using var ht = net.Activations(layer, task.Test.X);
                table.AddRange(HeldOutProbe.Rows(HeldOutProbe.Measure(h, z, ht, zTest, seed), Name, arch, metric, proc, seed, step, layer));
            }
        }
        void Estimate(Network net, string proc, long step)
        {
            var r = WithMala(Llc.Estimate(net, x, y, sgld), net, x, y, sgld, o.MalaProbeSteps);
            double g = Stationarity.GradNorm(net, x, y);
            table.Add(LlcRows.From(r, Name, arch, proc, seed, step, layers[0]));
            table.AddRange(LlcRows.Validity(r, g, Name, arch, proc, seed, step, layers[0]));
            table.AddRange(DiagnosticRows(r, arch, proc, seed, step, layers[0]));
            var verdict = LlcValidity.Check(r, Stationarity.BiasBound(g, r.NBeta, sgld.Localization));
            table.Add(LlcRows.Metric(Name, arch, "test_accuracy", Evaluate.Accuracy(net, task.Test), proc, seed, step));
            ProbeRows(net, "probe_accuracy", proc, step);
            log?.WriteLine(FormattableString.Invariant(
                $"{arch,-58} seed {seed} {proc,-24} λ̂ {r.Mean,8:F2} ± {r.Std,5:F2}  MALA {r.Diagnostics.MalaAcceptance ?? double.NaN:F2}  below L(w*) {r.Diagnostics.FractionBelowInitLoss:P0}  R̂ {r.Diagnostics.RHat:F2}  [{verdict.Describe()}]"));
            // The ladder reads γ-sensitivity of the comparison ΔLLC and excess, so it samples the before, erased and null models only.
            if (!ladder || proc is Inserted or ControlFineTuned) return;
            foreach (var f in o.GammaLadder)
            {
                var sg = sgld with { Localization = sgld.Localization * f };
                var rg = WithMala(Llc.Estimate(net, x, y, sg), net, x, y, sg, o.MalaProbeSteps);
                table.Add(LlcRows.From(rg, Name, arch, proc, seed, step, layers[0], metric: "llc_gamma"));
                table.AddRange(LlcRows.Validity(rg, g, Name, arch, proc, seed, step, layers[0], metric: "llc_gamma").Select(q => q with { Localization = sg.Localization }));
                log?.WriteLine(FormattableString.Invariant($"{"",58}   γ = {sg.Localization,-8:G3}{"",13} λ̂ {rg.Mean,8:F2} ± {rg.Std,5:F2}"));
            }
        }
        long FineTune(Network net, string proc, long step, long? budget)
        {
            var res = FineTuneDownstream(net, task, layers[^1], o, seed, budget);
            table.Add(LlcRows.Metric(Name, arch, "finetune_steps", res.Steps, proc, seed, step));
            table.Add(LlcRows.Metric(Name, arch, "finetune_epochs", res.Epochs, proc, seed, step));
            table.Add(LlcRows.Metric(Name, arch, "finetune_converged", res.StopReason == "plateau" ? 1 : 0, proc, seed, step));
            table.Add(LlcRows.Metric(Name, arch, "train_loss", res.FinalLoss, proc, seed, step));
            return res.Steps;
        }
        int Minimise(Network net, string proc, long step, int? budget)
        {
            var ft = ToMinimum(net, x, y, sgld, o.MaxPolishSteps, budget);
            double target = Stationarity.GradNormTarget(sgld.ResolveNBeta(x.shape[0]), sgld.Localization);
            table.Add(LlcRows.Metric(Name, arch, "polish_steps", ft.Steps, proc, seed, step));
            table.Add(LlcRows.Metric(Name, arch, "polish_converged", ft.GradNormAfter <= target ? 1 : 0, proc, seed, step));
            return ft.Steps;
        }

        table.Add(LlcRows.Metric(Name, arch, "parameters", task.Model.ParameterCount, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_rows", task.Train.Count, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "erased_layers", layers.Count, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_loss", task.LossCurve[^1], Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_accuracy", task.TrainAccuracy, Before, seed, 0));
        Minimise(task.Model, Before, 0, null);
        Estimate(task.Model, Before, 0);

        var scrub = ConceptScrubbing.Scrub(task.Model, task.Train.X, z, layers, mode: ScrubMode.Insert);
        try
        {
            using var erased = scrub.Network;
            foreach (var l in scrub.Layers) table.Add(LlcRows.Metric(Name, arch, "eraser_rank", l.Eraser.Rank, FineTuned, seed, 100, l.Layer));
            if (o.Inserted) Estimate(erased, Inserted, 100);
            long steps = FineTune(erased, FineTuned, 100, null);
            ProbeRows(erased, "probe_accuracy_downstream_tuned", FineTuned, 100);
            int polish = Minimise(erased, FineTuned, 100, null);
            Estimate(erased, FineTuned, 100);
            if (o.Control)
            {
                using var control = task.Model.Clone();
                FineTune(control, ControlFineTuned, 0, steps);
                Minimise(control, ControlFineTuned, 0, polish);
                Estimate(control, ControlFineTuned, 0);
            }
            if (o.NullEdit is { } nullName)
            {
                using var nulled = InsertNulls(task.Model, scrub.Layers, nullName, seed);
                string proc = NullFineTuned(nullName);
                FineTune(nulled, proc, 100, steps);
                Minimise(nulled, proc, 100, polish);
                Estimate(nulled, proc, 100);
            }
        }
        finally { foreach (var l in scrub.Layers) l.Eraser.Dispose(); }
    }

    /// <summary>
    /// Fine-tunes <paramref name="net"/> in place on the task's training split (Adam at the family's rate, minibatches of 64 in the order of
    /// seed + 1000), training only the parameters downstream of <paramref name="lastErasedLayer"/> when
    /// <see cref="ArchitectureSweepOptions.FineTuneDownstreamOnly"/>: with <paramref name="budget"/> null until the epoch loss plateaus
    /// (the erased run), else for exactly <paramref name="budget"/> optimizer steps (the control and the null edit get the erased run's count).
    /// </summary>
    public static TrainResult FineTuneDownstream(Network net, ArchitectureTask task, string lastErasedLayer, ArchitectureSweepOptions o, long seed, long? budget)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(o);
        if (budget is < 0) throw new ArgumentException($"budget must be ≥ 0 optimizer steps, got {budget}.", nameof(budget));
        var frozen = o.FineTuneDownstreamOnly ? UpstreamParameters(net, lastErasedLayer, task.SamplingX) : new HashSet<string>();
        var tensors = net.ParameterTensors();
        foreach (var (p, info) in tensors.Zip(net.ParameterInfos)) if (frozen.Contains(info.Name)) p.requires_grad_(false);
        try
        {
            if (budget == 0) return new TrainResult([], [], double.NaN, null, null, 0, 0, "max-steps", LossKind.CrossEntropy, [], 0);
            return Trainer.Train(net, task.Train, new TrainOptions
            {
                LearningRate = ArchitectureTask.LearningRate(task.Family), BatchSize = 64, Seed = seed + 1000, Loss = LossKind.CrossEntropy,
                KeepCheckpointsInMemory = false, MinRelativeImprovement = o.FineTuneMinRelativeImprovement,
                MaxEpochs = budget is null ? o.FineTuneMaxEpochs : int.MaxValue, MaxSteps = budget,
                Patience = budget is null ? o.FineTunePatience : null,
            });
        }
        finally { foreach (var p in tensors) p.requires_grad_(true); }
    }

    /// <summary>Full-batch minimisation (<see cref="Stationarity.FineTuneToMinimum(Network, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, SgldOptions, double, int, double, OptimizerKind, double)"/>):
    /// with <paramref name="budget"/> null until the gradient bias bound is ≤ 0.25 or <paramref name="cap"/> steps; else exactly
    /// <paramref name="budget"/> steps (tolerance 0 never stops early), so a control matches the erased run's count.</summary>
    public static FineTuneOutcome ToMinimum(Network net, TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y, SgldOptions sgld, int cap, int? budget = null) =>
        budget is { } b ? Stationarity.FineTuneToMinimum(net, x, y, sgld, tolerance: 0, maxSteps: b) : Stationarity.FineTuneToMinimum(net, x, y, sgld, maxSteps: cap);

    /// <summary>The network with each scrubbed layer's eraser replaced by its matched null edit <paramref name="nullEdit"/>
    /// (<see cref="NullEdits"/>), inserted as fixed layers at the same layers. <c>null-whitened</c> is not built here: it needs
    /// the LEACE fitter of each layer (<see cref="NullEdits.Build"/>).</summary>
    public static Network InsertNulls(Network net, IReadOnlyList<ScrubbedLayer> layers, string nullEdit, long seed)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(layers);
        var current = net.Clone();
        for (int i = 0; i < layers.Count; i++)
        {
            // The null edits are built on the CPU (as NullEdits.Build does: no copy when the eraser already lives there).
            var e = layers[i].Eraser;
            using var copy = e.Left.device_type == TorchSharp.DeviceType.CPU ? null : e.To(TorchSharp.torch.CPU);
            var cpu = copy ?? e;
            long s = Seeding.Derive(seed, 100 + i);
            using AffineEraser edit = nullEdit switch
            {
                NullEdits.OrthogonalName => NullEdits.Orthogonal(cpu),
                NullEdits.ObliqueName => NullEdits.ObliqueRandom(cpu, s),
                NullEdits.InvertibleName => NullEdits.Invertible(cpu, s),
                _ => throw new ArgumentException($"The RQ3 protocol builds null edits {NullEdits.OrthogonalName}, {NullEdits.ObliqueName} and {NullEdits.InvertibleName}; got '{nullEdit}'."),
            };
            var next = edit.InsertInto(current, layers[i].Layer);
            current.Dispose();
            current = next;
        }
        return current;
    }

    /// <summary>
    /// MALA acceptance for an estimate sampled with minibatches: minibatch MALA compares U on two different batches and reads low at
    /// any ε, so the step size is scored on a full-batch chain of <paramref name="steps"/> draws from w* at the same ε, γ and nβ (one
    /// chain, no burn-in: it measures the discretisation error of ε near w*, which is what the MALA check asks). Full-batch estimates
    /// already carry their own acceptance and are returned unchanged.
    /// </summary>
    public static LlcResult WithMala(LlcResult r, Network net, TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y, SgldOptions sgld, int steps)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sgld);
        if (!sgld.ComputeMala || sgld.BatchSize is null || sgld.BatchSize >= x.shape[0] || steps < 2) return r;
        double? m = MalaProbe(net, x, y, sgld, steps);
        return r with { Diagnostics = r.Diagnostics with { MalaAcceptance = m } };
    }

    /// <summary>Mean MALA acceptance of a full-batch SGLD chain of <paramref name="steps"/> draws from w* with the settings of
    /// <paramref name="sgld"/> (nβ resolved on the full n, as in the minibatch estimate).</summary>
    public static double? MalaProbe(Network net, TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y, SgldOptions sgld, int steps)
    {
        ArgumentNullException.ThrowIfNull(sgld);
        var probe = sgld with { BatchSize = null, Chains = 1, Draws = steps, BurnIn = 0, ComputeMala = true, NBeta = sgld.ResolveNBeta(x.shape[0]) };
        return Llc.Estimate(net, x, y, probe).Diagnostics.MalaAcceptance;
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
