using LlcLab.Analysis;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Tasks;
using static LlcLab.Protocols.ArchitectureSweepExperiment;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>
/// One (architecture, seed) of the RQ3 protocol (<see cref="ArchitectureSweepExperiment"/>), stage by stage, so that a notebook cell can
/// run one stage by itself: <see cref="Create"/> (train, <see cref="ArchitectureTask"/>) → <see cref="BeforeStage"/> (to a minimum, λ̂
/// before) → <see cref="ErasedStage"/> (LEACE inserted at the erasure layers, fine-tuned downstream to a plateau, re-minimised; returns the
/// step budget S, P it took) → <see cref="ControlStage"/> and <see cref="NullStage"/> (the un-erased model and the matched null edit
/// through exactly those S and P steps). <see cref="RunAll"/> runs the stages the options switch on, in that order. Disposing disposes
/// the erasers and the task.
/// </summary>
public sealed class ArchitectureSweepCell : IDisposable
{
    readonly ArchitectureSweepOptions o;
    readonly string arch;
    readonly long seed;
    readonly bool ladder;
    readonly ResultsTable table;
    readonly TextWriter? log;
    readonly ArchitectureTask task;
    SgldOptions sgld;
    readonly Tensor x, y, z, zTest;
    readonly IReadOnlyList<string> layers;
    ScrubResult? scrub;

    /// <summary>The data and the trained model (taken to a minimum in place by <see cref="BeforeStage"/>).</summary>
    public ArchitectureTask Task => task;
    /// <summary>The sampler settings of every estimate of this cell (ε as chosen by <see cref="ChooseStepSize"/> once <see cref="BeforeStage"/> ran).</summary>
    public SgldOptions Sgld => sgld;
    /// <summary>The rows written so far.</summary>
    public ResultsTable Table => table;
    /// <summary>The LEACE erasers of <see cref="ErasedStage"/>, one per erased layer (empty before it).</summary>
    public IReadOnlyList<ScrubbedLayer> Erasers => scrub?.Layers ?? [];

    ArchitectureSweepCell(ArchitectureSweepOptions o, string arch, long seed, bool ladder, ResultsTable table, TextWriter? log, ArchitectureTask task)
    {
        this.o = o; this.arch = arch; this.seed = seed; this.ladder = ladder; this.table = table; this.log = log; this.task = task;
        sgld = (o.Sgld ?? ArchitectureTask.SgldFor(arch, o.Quick)) with { Seed = seed, ComputeMala = o.ComputeMala };
        x = task.SamplingX; y = task.Train.Y;
        layers = task.ErasureLayers;
        string concept = o.Concept ?? task.Concept;
        z = task.Train.Concept(concept);
        zTest = task.Test.Concept(concept);
    }

    /// <summary>Trains <paramref name="arch"/> from <paramref name="seed"/>; <paramref name="ladder"/> adds the γ ladder to the before, erased and
    /// null estimates; rows go to <paramref name="table"/> (a new table when null).</summary>
    public static ArchitectureSweepCell Create(ArchitectureSweepOptions o, string arch, long seed, bool ladder, ResultsTable? table = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        var task = ArchitectureTask.Create(arch, seed, o.Quick);
        try { return new ArchitectureSweepCell(o, arch, seed, ladder, table ?? new ResultsTable(), log, task); }
        catch
        {
            task.Dispose();
            throw;
        }
    }

    /// <summary>Out-of-sample probe rows (<see cref="HeldOutProbe"/>) at every erased layer of <paramref name="net"/>.</summary>
    public void ProbeRows(Network net, string metric, string proc, long step)
    {
        foreach (var layer in layers)
        {
            using var h = net.Activations(layer, task.Train.X);
            using var ht = net.Activations(layer, task.Test.X);
            table.AddRange(HeldOutProbe.Rows(HeldOutProbe.Measure(h, z, ht, zTest, seed), Name, arch, metric, proc, seed, step, layer));
        }
    }

    /// <summary>λ̂ of <paramref name="net"/> (MALA on), validity and diagnostics rows, test accuracy and probes; the γ ladder (metric
    /// <c>llc_gamma</c>) for the before, erased and null models when this cell has one.</summary>
    public void Estimate(Network net, string proc, long step) => Record(net, Llc.Estimate(net, x, y, sgld), proc, step);

    /// <summary>The step size of this cell, chosen at w* by <see cref="StepSizeRule"/> (halve ε until the chain's own MALA acceptance is
    /// ≥ 0.9, at most <see cref="ArchitectureSweepOptions.MaxStepSizeHalvings"/> times, doubling the burn-in). Every later estimate of the
    /// cell uses the ε reached, so the before, erased, control and null λ̂ share one sampler. Records <c>sgld_lr</c> and returns the
    /// last estimate (the λ̂ before).</summary>
    public LlcResult ChooseStepSize(Network net)
    {
        ArgumentNullException.ThrowIfNull(net);
        var c = StepSizeRule.Choose(net, x, y, sgld, o.MaxStepSizeHalvings, m => log?.WriteLine($"{arch,-58} seed {seed} {m}"));
        sgld = c.Sgld;
        table.Add(LlcRows.Metric(Name, arch, "sgld_lr", c.Lr, Before, seed, 0));
        return c.Result;
    }

    /// <summary>The rows of estimate <paramref name="r"/> of <paramref name="net"/> (see <see cref="Estimate"/>), and the γ ladder.</summary>
    void Record(Network net, LlcResult r, string proc, long step)
    {
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
            var rg = Llc.Estimate(net, x, y, sg);
            table.Add(LlcRows.From(rg, Name, arch, proc, seed, step, layers[0], metric: "llc_gamma"));
            table.AddRange(LlcRows.Validity(rg, g, Name, arch, proc, seed, step, layers[0], metric: "llc_gamma").Select(q => q with { Localization = sg.Localization }));
            log?.WriteLine(FormattableString.Invariant($"{"",58}   γ = {sg.Localization,-8:G3}{"",13} λ̂ {rg.Mean,8:F2} ± {rg.Std,5:F2}"));
        }
    }

    /// <summary>Downstream fine-tuning (<see cref="FineTuneDownstream"/>): to a plateau when <paramref name="budget"/> is null, else exactly
    /// that many optimizer steps; records the steps, epochs, convergence and final loss and returns the steps taken.</summary>
    public long FineTune(Network net, string proc, long step, long? budget)
    {
        var res = FineTuneDownstream(net, task, layers[^1], o, seed, budget);
        table.Add(LlcRows.Metric(Name, arch, "finetune_steps", res.Steps, proc, seed, step));
        table.Add(LlcRows.Metric(Name, arch, "finetune_epochs", res.Epochs, proc, seed, step));
        table.Add(LlcRows.Metric(Name, arch, "finetune_converged", res.StopReason == "plateau" ? 1 : 0, proc, seed, step));
        table.Add(LlcRows.Metric(Name, arch, "train_loss", res.FinalLoss, proc, seed, step));
        return res.Steps;
    }

    /// <summary>Full-batch minimisation (<see cref="ToMinimum"/>) to the gradient criterion (capped) or exactly <paramref name="budget"/>
    /// steps; records the steps and whether the criterion was met and returns the steps taken.</summary>
    public int Minimise(Network net, string proc, long step, int? budget)
    {
        var ft = ToMinimum(net, x, y, sgld, o.MaxPolishSteps, budget);
        double target = Stationarity.GradNormTarget(sgld.ResolveNBeta(x.shape[0]), sgld.Localization);
        table.Add(LlcRows.Metric(Name, arch, "polish_steps", ft.Steps, proc, seed, step));
        table.Add(LlcRows.Metric(Name, arch, "polish_converged", ft.GradNormAfter <= target ? 1 : 0, proc, seed, step));
        return ft.Steps;
    }

    /// <summary>Stage 1 (procedure none, step 0): the task's size and training rows, then the model to a minimum, the cell's ε
    /// (<see cref="ChooseStepSize"/>) and λ̂ before.</summary>
    public void BeforeStage()
    {
        table.Add(LlcRows.Metric(Name, arch, "parameters", task.Model.ParameterCount, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_rows", task.Train.Count, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "erased_layers", layers.Count, Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_loss", task.LossCurve[^1], Before, seed, 0));
        table.Add(LlcRows.Metric(Name, arch, "train_accuracy", task.TrainAccuracy, Before, seed, 0));
        Minimise(task.Model, Before, 0, null);
        Record(task.Model, ChooseStepSize(task.Model), Before, 0);
    }

    /// <summary>Stage 2 (step 100): LEACE at the erasure layers (concept scrubbing, inserted as fixed layers; λ̂ as inserted when
    /// <see cref="ArchitectureSweepOptions.Inserted"/>), fine-tuned downstream to a plateau (S steps), re-minimised (P steps), λ̂ after.
    /// Returns (S, P), the budget of <see cref="ControlStage"/> and <see cref="NullStage"/>.</summary>
    public (long FineTuneSteps, int PolishSteps) ErasedStage()
    {
        if (scrub is not null) throw new InvalidOperationException("The erased stage has already run for this cell.");
        scrub = ConceptScrubbing.Scrub(task.Model, task.Train.X, z, layers, mode: ScrubMode.Insert);
        using var erased = scrub.Network;
        foreach (var l in scrub.Layers) table.Add(LlcRows.Metric(Name, arch, "eraser_rank", l.Eraser.Rank, FineTuned, seed, 100, l.Layer));
        if (o.Inserted) Estimate(erased, Inserted, 100);
        long steps = FineTune(erased, FineTuned, 100, null);
        ProbeRows(erased, "probe_accuracy_downstream_tuned", FineTuned, 100);
        int polish = Minimise(erased, FineTuned, 100, null);
        Estimate(erased, FineTuned, 100);
        return (steps, polish);
    }

    /// <summary>Stage 3 (procedure none-finetuned, step 0): the un-erased model through exactly the erased run's S fine-tuning and P
    /// minimisation steps — "erased" separated from "trained longer".</summary>
    public void ControlStage((long FineTuneSteps, int PolishSteps) budget)
    {
        using var control = task.Model.Clone();
        FineTune(control, ControlFineTuned, 0, budget.FineTuneSteps);
        Minimise(control, ControlFineTuned, 0, budget.PolishSteps);
        Estimate(control, ControlFineTuned, 0);
    }

    /// <summary>Stage 4 (procedure {null}-finetuned, step 100): each layer's eraser of <see cref="ErasedStage"/> replaced by its matched null
    /// edit <paramref name="nullName"/> (<see cref="NullEdits"/>), through exactly the same S and P steps.</summary>
    public void NullStage(string nullName, (long FineTuneSteps, int PolishSteps) budget)
    {
        if (scrub is null) throw new InvalidOperationException("Run ErasedStage() first: the null edits are matched to its erasers.");
        using var nulled = InsertNulls(task.Model, scrub.Layers, nullName, seed);
        string proc = NullFineTuned(nullName);
        FineTune(nulled, proc, 100, budget.FineTuneSteps);
        Minimise(nulled, proc, 100, budget.PolishSteps);
        Estimate(nulled, proc, 100);
    }

    /// <summary>Every stage the options switch on, in protocol order (<see cref="ArchitectureSweepExperiment.RunOne"/>).</summary>
    public void RunAll()
    {
        BeforeStage();
        var budget = ErasedStage();
        if (o.Control) ControlStage(budget);
        foreach (var nullName in o.Nulls) NullStage(nullName, budget);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (scrub is not null) foreach (var l in scrub.Layers) l.Eraser.Dispose();
        task.Dispose();
    }
}
