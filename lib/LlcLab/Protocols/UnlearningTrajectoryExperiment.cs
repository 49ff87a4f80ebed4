using LlcLab.Sampling;
using TorchSharp;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Unlearning;
using LlcLab.Analysis;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>
/// Issue 18 item 1: the LLC <em>during</em> unlearning. Per (data set, forget kind, seed) — digits or Fashion-MNIST; one class or a
/// random 10 % of D_train (<see cref="AuditTask"/>, the RQ4 audit's problems) — train the original, unlearn D_f with each procedure
/// (gradient procedures tuned first, <see cref="UnlearningTrajectoryOptions.Tuned"/>), and at
/// each of its K + 1 checkpoints (step 0 = the original; gradient procedures every Steps/K optimiser steps, LEACE at strength
/// t = k/K, INLP after k rounds) estimate λ̂ twice — (A) at the checkpoint itself and (B) after re-minimising on L_r
/// (<see cref="TrajectoryReference"/>) — on the full network, per layer, and data-restricted to D_r and D_f
/// (<see cref="TrajectoryLlc"/> states each posterior). Per checkpoint it also records forget/retain/test accuracy (of the
/// checkpoint itself), the eraser strength or INLP probe accuracy, and for (B) the steps taken and ‖w_B − w_A‖.
/// Rows are tidy (Model = the problem, "digits/class" …; procedure, seed, step, layer, data_subset, metric, value, sampler columns); a
/// (data set, forget kind, procedure, seed) is independent of every other, so the sweep (<see cref="Sweeps.UnlearningTrajectorySweep"/>)
/// runs one per cell.
/// </summary>
public static class UnlearningTrajectoryExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "unlearning-trajectory";

    /// <summary>Runs every (data set, forget kind, seed, procedure) of <paramref name="options"/>, in that nesting order.</summary>
    public static ExperimentResult Run(UnlearningTrajectoryOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new UnlearningTrajectoryOptions();
        o.Validate();
        var table = new ResultsTable();
        foreach (var dataset in o.Datasets)
            foreach (var kind in o.ForgetKinds)
                foreach (var seed in o.Seeds)
                    foreach (var proc in o.Procedures)
                        table.AddRange(RunOne(o, dataset, kind, proc, seed, log));
        return new ExperimentResult(Name, table);
    }

    /// <summary>One procedure on one seed's model of the first data set and forget kind of <paramref name="o"/>.</summary>
    public static ResultsTable RunOne(UnlearningTrajectoryOptions o, string procedure, long seed, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        return RunOne(o, o.Datasets[0], o.ForgetKinds[0], procedure, seed, log);
    }

    /// <summary>
    /// One procedure on one (data set, forget kind, seed) problem (<see cref="AuditTask"/>, the same problems as the RQ4 audit): the
    /// rows of its whole trajectory. With <see cref="UnlearningTrajectoryOptions.Tuned"/>, a gradient procedure is first tuned on the
    /// validation split against the reference retrain (<see cref="ProcedureTuning"/>; the audit's retrain seed, so both protocols tune
    /// to the same target) and the tuned run is observed; rows <c>tuned_lr</c>, <c>tuned_steps</c>, <c>run_steps</c>,
    /// <c>tuning_feasible</c> and the target <c>retrain_accuracy</c> (forget/retain/validation) say what was run.
    /// </summary>
    public static ResultsTable RunOne(UnlearningTrajectoryOptions o, string dataset, string kind, string procedure, long seed, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        using var task = AuditTask.Create(dataset, kind, seed, o.TaskOptions);
        var data = task.Data;
        var (allX, allY) = (task.Train.X, task.Train.Y);
        var sgld = TrajectoryLlc.SharedSgld((o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed }, allX.shape[0]);
        // ε by the MALA rule at the original (the same model for every procedure of this problem), then shared by every checkpoint.
        if (o.MaxStepSizeHalvings > 0 && sgld.ComputeMala)
            sgld = StepSizeRule.Choose(task.Original, allX, allY, sgld, o.MaxStepSizeHalvings, m => log?.WriteLine($"{task.Name} seed {seed} {procedure}: {m}")).Sgld;
        var sgldB = sgld with { Seed = ReminimisedSeed(seed) };
        var table = new ResultsTable();
        string model = task.Name;
        ResultRow Row(string metric, double value, string? subset = null, long? step = null) =>
            LlcRows.Metric(Name, model, metric, value, procedure, seed, step, null, subset);
        table.Add(Row("sgld_lr", sgld.ResolveLr(sgld.NBeta!.Value)));
        TuningPoint? tuned = null;
        if (o.Tuned && UnlearningTrajectoryOptions.IsGradient(procedure))
        {
            TuningTarget target;
            using (var reference = task.Retrain(LlcLab.Runtime.Seeding.Derive(seed, 1000)))
                target = new TuningTarget(Evaluate.Accuracy(reference, data.Forget.X, data.Forget.Y), Evaluate.Accuracy(reference, data.Retain.X, data.Retain.Y),
                    Evaluate.Accuracy(reference, task.Validation.X, task.Validation.Y));
            var t = ProcedureTuning.Tune(ProcedureTuning.DefaultGrid(procedure, o.Quick), task.Original, data, task.Validation, target, seed);
            foreach (var s in t.State.Values) s.Dispose();
            tuned = t.Chosen;
            table.Add(Row("retrain_accuracy", target.Forget, "forget"));
            table.Add(Row("retrain_accuracy", target.Retain, "retain"));
            table.Add(Row("retrain_accuracy", target.Validation, "validation"));
            table.Add(Row("tuned_lr", t.Chosen.Lr));
            table.Add(Row("tuned_steps", t.Chosen.Steps));
            table.Add(Row("tuning_feasible", t.Feasible ? 1 : 0));
            log?.WriteLine(FormattableString.Invariant($"{model} seed {seed} {procedure}: tuned lr {t.Chosen.Lr:G3}, {t.Chosen.Steps} steps{(t.Feasible ? "" : " (RA/VA not within 2 points of retrain anywhere on the grid)")}"));
        }
        var proc = UnlearningTrajectoryProcedures.Create(procedure, o, seed, tuned);
        int count = 0;
        long lastStep = 0;
        foreach (var ck in proc.Run(task.Original, data, seed))
        {
            using var scope = NewDisposeScope();
            count++;
            lastStep = ck.Step;
            var key = new TrajectoryRowKey(Name, model, procedure, seed, ck.Step);
            using var atCk = ck.ToNetwork(task.Original);
            ResultRow M(string metric, double value, string? subset = null, string? layer = null) =>
                LlcRows.Metric(Name, model, metric, value, procedure, seed, ck.Step, layer, subset);
            table.Add(M("accuracy", Evaluate.Accuracy(atCk, data.Forget.X, data.Forget.Y), "forget"));
            table.Add(M("accuracy", Evaluate.Accuracy(atCk, data.Retain.X, data.Retain.Y), "retain"));
            if (data.Test is { } t) table.Add(M("accuracy", Evaluate.Accuracy(atCk, t.X, t.Y), "test"));
            if (ck.Strength is { } s) table.Add(M("strength", s));
            if (!double.IsNaN(ck.Loss)) table.Add(M(procedure == "inlp" ? "inlp_probe_accuracy" : "objective", ck.Loss));
            var a = TrajectoryLlc.Measure(atCk, allX, allY, data, sgld, TrajectoryReference.Checkpoint, key, o.TrainLlc, o.PerLayer);
            table.AddRange(a);
            using var atMin = atCk.Clone();
            var polish = Stationarity.FineTuneToMinimum(atMin, data.Retain.X, data.Retain.Y, sgld, maxSteps: o.ReminimiseSteps, lr: o.ReminimiseLr, optimizer: OptimizerKind.Sgd);
            table.Add(M("reminimise_steps", polish.Steps, "retain"));
            table.Add(M("reminimise_distance", Distance(atCk, atMin), "retain"));
            table.Add(M("accuracy_reminimised", Evaluate.Accuracy(atMin, data.Forget.X, data.Forget.Y), "forget"));
            // Independent chains for (B): with the same seed the two readings would share their sampling noise, which would
            // make flat trajectories look alike under both definitions and inflate the A-vs-B agreement.
            var b = TrajectoryLlc.Measure(atMin, allX, allY, data, sgldB, TrajectoryReference.Reminimised, key, o.TrainLlc, o.PerLayer);
            table.AddRange(b);
            log?.WriteLine(FormattableString.Invariant(
                $"{model} seed {seed} {procedure,-8} step {ck.Step,4}: forget acc {table.Last(r => r.Metric == "accuracy" && r.DataSubset == "forget").Value,6:P1}  λ̂(D_r) A {Pick(a, "retain"),7:F2} (bound {Bound(a),8:G3})  B {Pick(b, "retain"),7:F2} (bound {Bound(b),8:G3}, {polish.Steps} steps)"));
        }
        if (tuned is not null) table.Add(Row("run_steps", lastStep));
        table.Add(LlcRows.Metric(Name, model, "checkpoints", count, procedure, seed));
        return table;
    }

    /// <summary>SGLD seed of reading (B) for training seed <paramref name="seed"/> (reading (A) uses the seed itself): the
    /// two readings sample independently, the same at every checkpoint of a run (common random numbers along the trajectory).</summary>
    public static long ReminimisedSeed(long seed) => LlcLab.Runtime.Seeding.Derive(seed, 0xB);

    static double Pick(List<ResultRow> rows, string subset) =>
        rows.First(r => r.Layer == TrajectoryLlc.AllLayers && r.DataSubset == subset && (r.Metric == TrajectoryLlc.CheckpointMetric || r.Metric == TrajectoryLlc.ReminimisedMetric)).Value;

    static double Bound(List<ResultRow> rows) =>
        rows.First(r => r.Layer == TrajectoryLlc.AllLayers && r.DataSubset == "retain" && r.Metric.EndsWith("_grad_bias_bound", StringComparison.Ordinal)).Value;

    /// <summary>‖w_a − w_b‖ over all parameters.</summary>
    static double Distance(Network a, Network b)
    {
        using var _ = no_grad();
        var pa = a.ParameterTensors(); var pb = b.ParameterTensors();
        double s = 0;
        for (int i = 0; i < pa.Count; i++) s += (pa[i] - pb[i]).to(ScalarType.Float64).square().sum().item<double>();
        return Math.Sqrt(s);
    }
}
