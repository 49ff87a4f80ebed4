using LlcLab.Analysis;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using LlcLab.Tasks;
using LlcLab.Unlearning;
using Checkpoint = LlcLab.Unlearning.UnlearningCheckpoint;

namespace LlcLab.Protocols;

/// <summary>
/// One (data set, forget kind, seed) cell of the RQ4 audit (<see cref="UnlearningAuditExperiment"/>), stage by stage, so that a
/// notebook cell can run one stage by itself: <see cref="Create"/> (train the original, split D_f / D_r / test / validation) →
/// <see cref="References"/> (the original, the reference retrain — the yardstick of every <c>…_gap_to_retrain</c> — and the positive
/// retrains; returns the tuning target) → <see cref="Tuned"/> (tune one procedure on the validation split, then measure it) →
/// <see cref="Erased"/> (one concept eraser, untuned) → <see cref="HardNegativeModels"/>. Each model goes through <see cref="Measure"/>, the same measurements for every model (behaviour,
/// trivial signals, re-minimisation on D_r, λ̂ on L_r overall, per layer and on D_f). <see cref="RunAll"/> runs the stages in that order.
/// Disposing disposes the task.
/// </summary>
public sealed class UnlearningAuditCell : IDisposable
{
    const string Name = UnlearningAuditExperiment.Name, Reference = UnlearningAuditExperiment.Reference, Original = UnlearningAuditExperiment.Original;

    readonly AuditTask task;
    readonly UnlearningData data;
    readonly string kind;
    readonly long seed;
    readonly UnlearningAuditOptions o;
    readonly ResultsTable table;
    readonly TextWriter? log;
    SgldOptions sgld;
    bool stepSizeChosen;
    readonly ICheckpointMetric[] behaviour;
    RetrainGap? gap;

    /// <summary>The original model, its data and its retrain recipe.</summary>
    public AuditTask Task => task;
    /// <summary>The rows written so far.</summary>
    public ResultsTable Table => table;
    /// <summary>Sampler settings of every λ̂ of this cell (the cell's seed; ε as chosen at the original, see <see cref="UnlearningAuditOptions.MaxStepSizeHalvings"/>).</summary>
    public SgldOptions Sgld => sgld;

    UnlearningAuditCell(AuditTask task, string kind, long seed, UnlearningAuditOptions o, ResultsTable table, TextWriter? log)
    {
        this.task = task; data = task.Data; this.kind = kind; this.seed = seed; this.o = o; this.table = table; this.log = log;
        sgld = (o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed };
        var relearn = new RelearnTimeMetric(new RelearnOptions { MaxSteps = o.RelearnMaxSteps, EvalEvery = 1 });
        behaviour = [new AccuracyMetric(), new MembershipInferenceMetric(), new SvcMembershipInferenceMetric(), relearn];
    }

    /// <summary>Builds the cell's task (<see cref="AuditTask.Create"/>); rows go to <paramref name="table"/> (a new table when null).</summary>
    public static UnlearningAuditCell Create(string dataset, string kind, long seed, UnlearningAuditOptions o, ResultsTable? table = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        var task = AuditTask.Create(dataset, kind, seed, o);
        var cell = new UnlearningAuditCell(task, kind, seed, o, table ?? new ResultsTable(), log);
        var data = task.Data;
        log?.WriteLine($"{task.Name} seed {seed}: |D_f| = {data.Forget.Count}, |D_r| = {data.Retain.Count}, test {data.Test!.Count}, validation {task.Validation.Count}");
        return cell;
    }

    ResultRow Row(string metric, double value, string procedure, string? subset = null, string? layer = null, double? lr = null, long? step = null, double? std = null) =>
        LlcRows.Metric(Name, task.Name, metric, value, procedure, seed, step, layer, subset, std) with { Lr = lr };

    /// <summary>Measures <paramref name="model"/> (named <paramref name="procedure"/>, <paramref name="optSteps"/> optimiser steps) as the
    /// audit measures every model; the rows of the models measured after the reference retrain carry gaps to it.</summary>
    public void Measure(string procedure, Network model, int optSteps)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ck = new Checkpoint(procedure, optSteps, model.StateDict(), 0, DataUsage.None);
        var ctx = new CheckpointContext(ck, model, task.Original, data, seed);
        var values = behaviour.SelectMany(m => m.Evaluate(ctx)).ToList();
        values.Add(new MetricValue("accuracy", Evaluate.Accuracy(model, task.Validation.X, task.Validation.Y)) { DataSubset = "validation" });
        if (procedure == Reference) gap = new RetrainGap(values);
        if (gap is not null) values.AddRange(gap.Gaps(values).ToList());
        foreach (var v in values) table.Add(Row(v.Metric, v.Value, procedure, v.DataSubset, v.Layer));
        var (rx, ry) = (data.Retain.X, data.Retain.Y);
        table.Add(Row("weight_distance", TrivialSignals.WeightDistance(model, task.Original), procedure));
        table.Add(Row("kl_forget", TrivialSignals.Kl(task.Original, model, data.Forget.X), procedure, "forget"));
        table.Add(Row("retain_grad_norm", Stationarity.GradNorm(model, rx, ry), procedure, "retain"));
        table.Add(Row("opt_steps", optSteps, procedure));

        double tBehaviour = clock.Elapsed.TotalSeconds;
        using var polished = model.Clone();
        var polish = Stationarity.FineTuneToMinimum(polished, rx, ry, sgld, maxSteps: o.MaxPolishSteps, lr: 0.05, optimizer: OptimizerKind.Sgd);
        table.Add(Row("polish_steps", polish.Steps, procedure, "retain"));
        var (tr, trSe) = TrivialSignals.HessianTrace(polished, rx, ry, o.HutchinsonProbes, seed);
        table.Add(Row("hessian_trace", tr, procedure, "retain", std: trSe));
        double tPolish = clock.Elapsed.TotalSeconds;
        double g = Stationarity.GradNorm(polished, rx, ry);
        LlcResult all;
        if (!stepSizeChosen)
        {
            // The first model measured (the original) fixes ε for the cell by the MALA rule; every later model shares it.
            var c = StepSizeRule.Choose(polished, rx, ry, sgld, o.MaxStepSizeHalvings, m => log?.WriteLine($"  {procedure}: {m}"));
            (sgld, all, stepSizeChosen) = (c.Sgld, c.Result, true);
            table.Add(Row("sgld_lr", c.Lr, procedure, "retain"));
        }
        else all = Llc.Estimate(polished, rx, ry, sgld);
        table.Add(LlcRows.From(all, Name, task.Name, procedure, seed, dataSubset: "retain"));
        table.AddRange(LlcRows.Validity(all, g, Name, task.Name, procedure, seed, dataSubset: "retain"));
        var layers = new List<string>();
        foreach (var (layer, prefix) in LlcMetric.LayerGroups(polished))
        {
            var r = Llc.EstimateWeightRestricted(polished, rx, ry, [prefix], sgld);
            table.Add(LlcRows.From(r, Name, task.Name, procedure, seed, layer: layer, dataSubset: "retain"));
            table.AddRange(LlcRows.Validity(r, g, Name, task.Name, procedure, seed, layer: layer, dataSubset: "retain"));
            layers.Add(FormattableString.Invariant($"{layer} {r.Mean:F1}"));
        }
        var forget = Llc.EstimateDataRestricted(polished, rx, ry, data.Forget.X, data.Forget.Y, DataRestriction.MeasureOnly, sgld);
        table.Add(LlcRows.From(forget, Name, task.Name, procedure, seed, dataSubset: "forget", metric: "llc_forget"));
        log?.WriteLine(FormattableString.Invariant(
            $"  {procedure,-14} UA {V("accuracy", "forget"):P1} RA {V("accuracy", "retain"):P1} TA {V("accuracy", "test"):P1} MIA-eff {V("mia_efficacy", "forget"):F2} relearn {V("relearn_steps", "forget"):F0}  polish {polish.Steps}  λ̂_r {all.Mean:F1} [{string.Join(", ", layers)}] λ̂_f {forget.Mean:F1}  ({tBehaviour:F0} + {tPolish - tBehaviour:F0} + {clock.Elapsed.TotalSeconds - tPolish:F0} s)"));
        double V(string metric, string subset) => values.First(v => v.Metric == metric && v.DataSubset == subset).Value;
    }

    /// <summary>Stage 1: the original, the reference retrain and the <see cref="UnlearningAuditOptions.PositiveRetrains"/> positive retrains
    /// (other init seeds). Returns the reference retrain's forget, retain and validation accuracies: the target of tuning and of the hard negatives.</summary>
    public TuningTarget References()
    {
        Measure(Original, task.Original, 0);
        TuningTarget target;
        using (var reference = task.Retrain(Seeding.Derive(seed, 1000)))
        {
            Measure(Reference, reference, task.RetrainSteps);
            target = new TuningTarget(Evaluate.Accuracy(reference, data.Forget.X, data.Forget.Y), Evaluate.Accuracy(reference, data.Retain.X, data.Retain.Y),
                Evaluate.Accuracy(reference, task.Validation.X, task.Validation.Y));
        }
        for (int k = 1; k <= o.PositiveRetrains; k++)
        {
            using var rt = task.Retrain(Seeding.Derive(seed, 1000 + k));
            Measure($"retrain-{k}", rt, task.RetrainSteps);
        }
        return target;
    }

    /// <summary>Stage 2, one approximate procedure: tuned on the validation split over <see cref="ProcedureTuning.DefaultGrid"/>
    /// (rows tune_accuracy, tuned_lr, tuned_steps, tuning_feasible, tuning_diverged_lrs), then the chosen model measured.</summary>
    public void Tuned(string name, TuningTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var grid = ProcedureTuning.DefaultGrid(name, o.Quick);
        var t = ProcedureTuning.Tune(grid, task.Original, data, task.Validation, target, seed);
        foreach (var p in t.Grid)
        {
            table.Add(Row("tune_accuracy", p.Forget, name, "forget", lr: p.Lr, step: p.Steps));
            table.Add(Row("tune_accuracy", p.Retain, name, "retain", lr: p.Lr, step: p.Steps));
            table.Add(Row("tune_accuracy", p.Validation, name, "validation", lr: p.Lr, step: p.Steps));
        }
        table.Add(Row("tuned_lr", t.Chosen.Lr, name));
        table.Add(Row("tuned_steps", t.Chosen.Steps, name));
        table.Add(Row("tuning_feasible", t.Feasible ? 1 : 0, name));
        table.Add(Row("tuning_diverged_lrs", t.DivergedLrs.Count, name));
        using var model = task.Original.Clone();
        model.LoadStateDict(t.State);
        foreach (var s in t.State.Values) s.Dispose();
        log?.WriteLine(FormattableString.Invariant($"  tuned {name}: lr {t.Chosen.Lr:G3}, {t.Chosen.Steps} steps{(t.Feasible ? "" : " (RA/VA not within 2 points of retrain anywhere on the grid)")}"));
        Measure(name, model, t.Chosen.Steps);
    }

    /// <summary>Stage 3, one concept eraser of <see cref="UnlearningAuditOptions.Erasers"/> (untuned): the full-strength eraser of "is in D_f"
    /// at <see cref="UnlearningAuditOptions.EraserLayer"/> (the last checkpoint of <see cref="UnlearningAuditExperiment.Eraser"/>: t = 1, or
    /// the last INLP round), folded into the next layer and measured with no optimiser steps — an eraser is a one-shot edit.</summary>
    public void Erased(string name)
    {
        // The erased network itself, not re-trained.
        var last = UnlearningAuditExperiment.Eraser(name, o, seed).Run(task.Original, data, seed).Last();
        using var erased = last.ToNetwork(task.Original);
        log?.WriteLine($"  {name} at {o.EraserLayer}: the eraser of \"is in D_f\" folded into the next layer");
        Measure(name, erased, 0);
    }

    /// <summary>Stage 4: the <see cref="HardNegatives"/> — a suppressed forget class (or head), a shallow gradient ascent and a perturbed
    /// original — each aimed at the reference retrain's forget accuracy, then measured.</summary>
    public void HardNegativeModels(TuningTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (kind == "class")
        {
            var (sup, shift) = HardNegatives.SuppressClass(task.Original, data.Forget, o.ForgetClass, target.Forget);
            using (sup) { table.Add(Row("suppress_shift", shift, HardNegatives.Suppress)); Measure(HardNegatives.Suppress, sup, 0); }
        }
        else
        {
            var (sup, steps) = HardNegatives.SuppressHead(task.Original, data, target.Forget, seed);
            using (sup) Measure(HardNegatives.Suppress, sup, steps);
        }
        var (shallow, ascent) = HardNegatives.ShallowAscent(task.Original, data, target.Forget, seed);
        using (shallow) Measure(HardNegatives.Relearnable, shallow, ascent);
        using (var perturbed = HardNegatives.Perturb(task.Original, o.PerturbNorm, seed)) Measure(HardNegatives.Perturbed, perturbed, 0);
    }

    /// <summary>Every stage in protocol order (<see cref="UnlearningAuditExperiment.RunCell"/>).</summary>
    public void RunAll()
    {
        var target = References();
        foreach (var name in o.Procedures) Tuned(name, target);
        foreach (var name in o.Erasers) Erased(name);
        HardNegativeModels(target);
    }

    /// <inheritdoc />
    public void Dispose() => task.Dispose();
}
