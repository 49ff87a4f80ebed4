using TorchSharp;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>
/// Issue 18 item 1: the LLC <em>during</em> unlearning. Per seed: train the digits MLP, unlearn class
/// <see cref="UnlearningTrajectoryOptions.ForgetClass"/> (D_f = its training rows, D_r = the rest) with each procedure, and at
/// each of its K + 1 checkpoints (step 0 = the original; gradient procedures every Steps/K optimiser steps, LEACE at strength
/// t = k/K, INLP after k rounds) estimate λ̂ twice — (A) at the checkpoint itself and (B) after re-minimising on L_r
/// (<see cref="TrajectoryReference"/>) — on the full network, per layer, and data-restricted to D_r and D_f
/// (<see cref="TrajectoryLlc"/> states each posterior). Per checkpoint it also records forget/retain/test accuracy (of the
/// checkpoint itself), the eraser strength or INLP probe accuracy, and for (B) the steps taken and ‖w_B − w_A‖.
/// Rows are tidy (procedure, seed, step, layer, data_subset, metric, value, sampler columns); a (procedure, seed) pair is
/// independent of every other, so the sweep (<see cref="Sweeps.UnlearningTrajectorySweep"/>) runs one per cell.
/// </summary>
public static class UnlearningTrajectoryExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "unlearning-trajectory";

    /// <summary>Runs every (seed, procedure) of <paramref name="options"/>, seeds outermost.</summary>
    public static ExperimentResult Run(UnlearningTrajectoryOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new UnlearningTrajectoryOptions();
        o.Validate();
        var table = new ResultsTable();
        foreach (var seed in o.Seeds)
            foreach (var proc in o.Procedures)
                table.AddRange(RunOne(o, proc, seed, log));
        return new ExperimentResult(Name, table);
    }

    /// <summary>One procedure on one seed's model: the rows of its whole trajectory.</summary>
    public static ResultsTable RunOne(UnlearningTrajectoryOptions o, string procedure, long seed, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        using var task = DigitsTask.Create(o.Arch, seed, o.Quick);
        // A held Scalar, not an implicit temporary: a GC on another thread can finalise a temporary mid-call (see Runtime/Scalars).
        using var forgetClass = o.ForgetClass.ToScalar();
        var isForget = task.Train.Y.eq(forgetClass).to(ScalarType.Int64);
        var train = task.Train.WithConcept("forget_class", isForget);
        var test = task.Test.WithConcept("forget_class", task.Test.Y.eq(forgetClass).to(ScalarType.Int64));
        var data = UnlearningData.ByClass(train, o.ForgetClass, test, concept: "forget_class");
        var sgld = TrajectoryLlc.SharedSgld((o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed }, task.Train.X.shape[0]);
        var sgldB = sgld with { Seed = ReminimisedSeed(seed) };
        var proc = UnlearningTrajectoryProcedures.Create(procedure, o, seed);
        var table = new ResultsTable();
        int count = 0;
        string model = o.Arch;
        foreach (var ck in proc.Run(task.Model, data, seed))
        {
            using var scope = NewDisposeScope();
            count++;
            var key = new TrajectoryRowKey(Name, model, procedure, seed, ck.Step);
            using var atCk = ck.ToNetwork(task.Model);
            ResultRow M(string metric, double value, string? subset = null, string? layer = null) =>
                LlcRows.Metric(Name, model, metric, value, procedure, seed, ck.Step, layer, subset);
            table.Add(M("accuracy", Evaluate.Accuracy(atCk, data.Forget.X, data.Forget.Y), "forget"));
            table.Add(M("accuracy", Evaluate.Accuracy(atCk, data.Retain.X, data.Retain.Y), "retain"));
            if (data.Test is { } t) table.Add(M("accuracy", Evaluate.Accuracy(atCk, t.X, t.Y), "test"));
            if (ck.Strength is { } s) table.Add(M("strength", s));
            if (!double.IsNaN(ck.Loss)) table.Add(M(procedure == "inlp" ? "inlp_probe_accuracy" : "objective", ck.Loss));
            var a = TrajectoryLlc.Measure(atCk, task.Train.X, task.Train.Y, data, sgld, TrajectoryReference.Checkpoint, key, o.TrainLlc, o.PerLayer);
            table.AddRange(a);
            using var atMin = atCk.Clone();
            var polish = Stationarity.FineTuneToMinimum(atMin, data.Retain.X, data.Retain.Y, sgld, maxSteps: o.ReminimiseSteps, lr: o.ReminimiseLr, optimizer: OptimizerKind.Sgd);
            table.Add(M("reminimise_steps", polish.Steps, "retain"));
            table.Add(M("reminimise_distance", Distance(atCk, atMin), "retain"));
            table.Add(M("accuracy_reminimised", Evaluate.Accuracy(atMin, data.Forget.X, data.Forget.Y), "forget"));
            // Independent chains for (B): with the same seed the two readings would share their sampling noise, which would
            // make flat trajectories look alike under both definitions and inflate the A-vs-B agreement.
            var b = TrajectoryLlc.Measure(atMin, task.Train.X, task.Train.Y, data, sgldB, TrajectoryReference.Reminimised, key, o.TrainLlc, o.PerLayer);
            table.AddRange(b);
            log?.WriteLine(FormattableString.Invariant(
                $"seed {seed} {procedure,-8} step {ck.Step,4}: forget acc {table.Last(r => r.Metric == "accuracy" && r.DataSubset == "forget").Value,6:P1}  λ̂(D_r) A {Pick(a, "retain"),7:F2} (bound {Bound(a),8:G3})  B {Pick(b, "retain"),7:F2} (bound {Bound(b),8:G3}, {polish.Steps} steps)"));
        }
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
