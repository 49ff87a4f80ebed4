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
/// <c>llc_strict_valid</c> = also R̂ ≤ 1.1 and MALA ≥ 0.9; <c>llc_check_*</c>) and its diagnostics. Minibatch chains score MALA on the
/// transitions that reuse one batch at both ends (<see cref="MalaObserver"/>); the cell halves ε at w* until that acceptance reaches 0.9
/// (<see cref="ArchitectureSweepCell.ChooseStepSize"/>) and keeps it for every estimate of the cell. Step counts are rows
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
        string[] layerNulls = [NullEdits.ObliqueName, NullEdits.InvertibleName, NullEdits.OrthogonalName];
        foreach (var ne in o.Nulls ?? throw new ArgumentException("Nulls must not be null (use [] for none)."))
            if (!layerNulls.Contains(ne))
                throw new ArgumentException($"Nulls: the RQ3 protocol builds {string.Join(", ", layerNulls)} (null-whitened needs each layer's fitter; it runs in RQ1/RQ2), got '{ne}'.");
        if (o.Nulls.Distinct().Count() != o.Nulls.Count) throw new ArgumentException($"Nulls lists an edit twice: {string.Join(", ", o.Nulls)}.");
        var table = new ResultsTable();
        foreach (var arch in o.Archs)
            foreach (var seed in o.Seeds)
                RunOne(o, arch, seed, o.GammaLadder.Count > 0 && o.GammaLadderSeeds.Contains(seed), table, log);
        return new ExperimentResult(Name, table);
    }

    /// <summary>One (architecture, seed) of the protocol, appended to <paramref name="table"/>: train (<see cref="ArchitectureTask"/>), polish
    /// to a minimum, λ̂ before; insert LEACE at <see cref="ArchitectureTask.ErasureLayers"/> (every block of a transformer: concept
    /// scrubbing), fine-tune downstream to a plateau (<see cref="FineTuneDownstream"/>), re-minimise, λ̂ after; the step-matched control and
    /// the matched null edit through the same optimizer steps; the γ ladder when <paramref name="ladder"/>. The stages one by one:
    /// <see cref="ArchitectureSweepCell"/>.</summary>
    public static void RunOne(ArchitectureSweepOptions o, string arch, long seed, bool ladder, ResultsTable table, TextWriter? log)
    {
        using var cell = ArchitectureSweepCell.Create(o, arch, seed, ladder, table, log);
        cell.RunAll();
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

    /// <summary>The estimator's verdict on w* (<see cref="DiagnosticThresholds.AtMinimum"/>, the rule of its "not a local minimum" warning):
    /// λ̂ &gt; 0 and the fraction of draws below L(w*) within its limit.</summary>
    public static bool AtMinimum(LlcResult r) => DiagnosticThresholds.AtMinimum(r);

    /// <summary>Rows of the sampler diagnostics of one estimate (metric names: mala_acceptance, fraction_below_init_loss, r_hat, at_minimum).</summary>
    public static IEnumerable<ResultRow> DiagnosticRows(LlcResult r, string model, string procedure, long seed, long step, string layer)
    {
        if (r.Diagnostics.MalaAcceptance is { } m) yield return LlcRows.Metric(Name, model, "mala_acceptance", m, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "fraction_below_init_loss", r.Diagnostics.FractionBelowInitLoss, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "r_hat", r.Diagnostics.RHat, procedure, seed, step, layer);
        yield return LlcRows.Metric(Name, model, "at_minimum", AtMinimum(r) ? 1 : 0, procedure, seed, step, layer);
    }
}
