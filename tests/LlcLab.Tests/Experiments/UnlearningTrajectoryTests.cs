using System.Text.Json;
using LlcLab.Analysis;
using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Plots;
using LlcLab.Sampling;
using LlcLab.Sweeps;
using LlcLab.Unlearning;
using Plotly.NET;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

/// <summary>The "LLC during unlearning" protocol (notebook 08): checkpoints, per-layer restriction, determinism, the bias-bound
/// column, the A-vs-B comparison, the sweep and the charts.</summary>
public class UnlearningTrajectoryTests
{
    static readonly SgldOptions Tiny = new() { Lr = 5e-5, Localization = 100, Chains = 2, Draws = 30, BurnIn = 30, BatchSize = null };

    static readonly UnlearningTrajectoryOptions Small = UnlearningTrajectoryOptions.QuickMode with
    {
        Steps = 16, ReminimiseSteps = 30, Sgld = Tiny, Procedures = ["neggrad"], TrainLlc = true, Tuned = false,
    };

    static UnlearningData Data(DigitsTask task, long forgetClass = 3)
    {
        using var fc = TorchSharp.ScalarExtensionMethods.ToScalar(forgetClass);
        var train = task.Train.WithConcept("forget_class", task.Train.Y.eq(fc).to(ScalarType.Int64));
        var test = task.Test.WithConcept("forget_class", task.Test.Y.eq(fc).to(ScalarType.Int64));
        return UnlearningData.ByClass(train, forgetClass, test, concept: "forget_class");
    }

    [Fact]
    public void Every_procedure_yields_at_least_eight_checkpoints_at_evenly_spaced_fractions_of_its_run()
    {
        using var task = DigitsTask.Create(Small.Arch, 0, quick: true);
        var data = Data(task);
        foreach (var name in UnlearningTrajectoryProcedures.Known)
        {
            var steps = UnlearningTrajectoryProcedures.Create(name, Small, 0).Run(task.Model, data, 0).Select(c => c.Step).ToList();
            Assert.True(steps.Count >= 8, $"{name}: {steps.Count} checkpoints");
            Assert.Equal(Small.Checkpoints + 1, steps.Count);
            Assert.Equal(0, steps[0]);
            var gaps = steps.Zip(steps.Skip(1), (a, b) => b - a).Distinct().ToList();
            Assert.Single(gaps);
        }
        Assert.Throws<ArgumentException>(() => (Small with { Checkpoints = 7 }).Validate());
        Assert.Throws<ArgumentException>(() => (Small with { Steps = 20 }).Validate());
    }

    [Fact]
    public void A_weight_restricted_chain_moves_only_the_named_layer_and_leaves_every_other_weight_bit_identical()
    {
        using var net = Network.Create("mlp:6-5-4-3:relu", seed: 1);
        var x = randn([40, 6], generator: LlcLab.Runtime.Seeding.Generator(3)); var y = randint(0, 3, [40], generator: LlcLab.Runtime.Seeding.Generator(4));
        var names = net.ParameterInfos.Select(p => p.Name).ToList();
        var layers = TrajectoryLlc.Layers(net);
        Assert.Equal(["fc1", "fc2", "fc3"], layers.Select(l => l.Layer));
        Assert.Equal(names, layers.SelectMany(l => l.Parameters));
        foreach (var (layer, parameters) in layers)
        {
            // Through the protocol's own call: it samples exactly the layer's parameters.
            var r = Llc.EstimateWeightRestricted(net, x, y, parameters, Tiny with { Seed = 2 });
            Assert.Equal(parameters, r.SampledParameters);
            Assert.Equal(net.ParameterInfos.Where(p => parameters.Contains(p.Name)).Sum(p => p.Count), r.MovingParameters);
            // And in the engine, on the network's own module: at every draw read *all* its parameters; the frozen ones must
            // equal w* bit for bit while the layer's own move.
            var wStar = net.Module.named_parameters().Select(p => p.parameter.detach().flatten().data<float>().ToArray()).ToList();
            Assert.Equal(names, net.Module.named_parameters().Select(p => p.name));
            var target = SgmcmcTarget.Module(net.Module, LossKind.CrossEntropy, Llc.Select(names, parameters));
            var rec = new WeightRecorder(net.Module);
            Sgmcmc.Sample(target, x, y, new LlcLab.Sampling.Sgld(1e-3), [rec], new SgmcmcOptions { NBeta = 20, Localization = 10, Draws = 10, BurnIn = 5, Seed = 7 });
            target.Reset();
            Assert.Equal(10, rec.Draws.Count);
            for (int i = 0; i < names.Count; i++)
            {
                bool moves = parameters.Contains(names[i]);
                foreach (var draw in rec.Draws)
                    if (moves) Assert.NotEqual(wStar[i], draw[i]);
                    else Assert.Equal(wStar[i], draw[i]);
            }
            // Reset puts w* back exactly.
            Assert.Equal(wStar, net.Module.named_parameters().Select(p => p.parameter.detach().flatten().data<float>().ToArray()).ToList());
        }
    }

    sealed class WeightRecorder(TorchSharp.torch.nn.Module<Tensor, Tensor> module) : ISgmcmcObserver
    {
        public readonly List<float[][]> Draws = [];
        public void OnStep(SgmcmcState s) =>
            Draws.Add(module.named_parameters().Select(p => p.parameter.detach().contiguous().flatten().data<float>().ToArray()).ToArray());
    }

    [Fact]
    public void The_same_seed_gives_the_same_rows_and_every_llc_row_has_one_bias_bound_that_re_minimising_lowers()
    {
        var a = UnlearningTrajectoryExperiment.RunOne(Small, "neggrad", 0);
        var b = UnlearningTrajectoryExperiment.RunOne(Small, "neggrad", 0);
        Assert.Equal(a.Select(r => r with { ElapsedS = null }).ToList().Count, b.Count);
        Assert.Equal(new ResultsTable(a.Select(r => r with { ElapsedS = null })).ToCsv(), new ResultsTable(b.Select(r => r with { ElapsedS = null })).ToCsv());
        var res = new ExperimentResult(UnlearningTrajectoryExperiment.Name, a);
        Assert.True(res.Rows("checkpoints").Single().Value >= 8);
        foreach (var metric in new[] { TrajectoryLlc.CheckpointMetric, TrajectoryLlc.ReminimisedMetric })
        {
            var llc = res.Rows(metric).ToList();
            Assert.Equal(9 * (1 + 1 + 3 + 1), llc.Count);   // 9 checkpoints × (train, retain, fc1–fc3, forget)
            foreach (var r in llc)
            {
                var bound = res.Rows(metric + "_grad_bias_bound", r.Procedure, r.Step, layer: r.Layer, dataSubset: r.DataSubset).Single();
                Assert.True(bound.Value >= 0 && double.IsFinite(bound.Value), $"{metric} {r.Layer}/{r.DataSubset} step {r.Step}: bound {bound.Value}");
                Assert.Single(res.Rows(metric + "_valid", r.Procedure, r.Step, layer: r.Layer, dataSubset: r.DataSubset));
            }
        }
        // Gradient ascent leaves the retain loss on a slope; re-minimising on L_r must shrink the bound at the last checkpoint.
        double A(string m) => res.Rows(m + "_grad_bias_bound", "neggrad", 16, layer: "all", dataSubset: "retain").Single().Value;
        Assert.True(A(TrajectoryLlc.ReminimisedMetric) < A(TrajectoryLlc.CheckpointMetric), $"B {A(TrajectoryLlc.ReminimisedMetric)} vs A {A(TrajectoryLlc.CheckpointMetric)}");
    }

    [Fact]
    public void The_bias_bound_of_a_layer_row_uses_only_that_layers_gradient()
    {
        using var task = DigitsTask.Create(Small.Arch, 0, quick: true);
        var data = Data(task);
        var sgld = TrajectoryLlc.SharedSgld(Tiny, task.Train.X.shape[0]);
        var rows = TrajectoryLlc.Measure(task.Model, task.Train.X, task.Train.Y, data, sgld, TrajectoryReference.Checkpoint,
            new TrajectoryRowKey("t", "m", "original", 0, 0), trainLlc: false);
        double nb = sgld.NBeta!.Value;
        Assert.Equal(task.Train.X.shape[0] / Math.Log(task.Train.X.shape[0]), nb, 9);
        Assert.All(rows.Where(r => r.Metric == TrajectoryLlc.CheckpointMetric), r => Assert.Equal(nb, r.Nbeta!.Value, 9));
        // Independent gradient of L_r with respect to fc2 only (parameters "2.weight", "2.bias" of the MLP).
        var fc2 = TrajectoryLlc.Layers(task.Model)[1];
        var ps = task.Model.ParameterTensors();
        var names = task.Model.ParameterInfos.Select(p => p.Name).ToList();
        var loss = Losses.Compute(LossKind.CrossEntropy, task.Model.Module.call(data.Retain.X), data.Retain.Y);
        var sel = names.Select((n, i) => (n, i)).Where(t => fc2.Parameters.Contains(t.n)).Select(t => (Tensor)ps[t.i]).ToList();
        double g2 = autograd.grad([loss], sel).Sum(g => g.to(ScalarType.Float64).square().sum().item<double>());
        double expected = nb * nb * g2 / (2 * Tiny.Localization);
        double got = rows.Single(r => r.Metric == TrajectoryLlc.CheckpointMetric + "_grad_bias_bound" && r.Layer == fc2.Layer).Value;
        Assert.Equal(expected, got, expected * 1e-4);
        double all = rows.Single(r => r.Metric == TrajectoryLlc.CheckpointMetric + "_grad_bias_bound" && r.Layer == "all" && r.DataSubset == "retain").Value;
        Assert.True(got < all, $"layer bound {got} should be below the full-network bound {all}");
    }

    [Fact]
    public void Agreement_reads_identical_trajectories_as_rho_one_and_reversed_ones_as_minus_one()
    {
        var t = new ResultsTable();
        double[] v = [5, 6, 8, 7, 9];
        for (int k = 0; k < v.Length; k++)
        {
            t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.CheckpointMetric, v[k], "p", 0, k, "all", "retain"));
            t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.ReminimisedMetric, v[k] + 1, "p", 0, k, "all", "retain"));
            t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.CheckpointMetric, v[k], "q", 0, k, "all", "retain"));
            t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.ReminimisedMetric, -v[k], "q", 0, k, "all", "retain"));
        }
        var pairs = TrajectoryAgreement.Pairs(new ExperimentResult("x", t));
        Assert.Equal(1.0, pairs.Single(p => p.Procedure == "p").Spearman, 12);
        Assert.True(pairs.Single(p => p.Procedure == "p").SameDirection);
        Assert.Equal(-1.0, pairs.Single(p => p.Procedure == "q").Spearman, 12);
        Assert.False(pairs.Single(p => p.Procedure == "q").SameDirection);
        var s = TrajectoryAgreement.Summarise(pairs, p => p.Procedure);
        Assert.Equal(["all", "p", "q"], s.Select(q => q.Group));
        Assert.Equal(0.5, s[0].SameDirectionRate);
        // Wilson 95 % interval of 8/10 is [0.490, 0.943] (Newcombe 1998, Table I method 3).
        var (lo, hi) = TrajectoryAgreement.Wilson(8, 10);
        Assert.Equal(0.490, lo, 3);
        Assert.Equal(0.943, hi, 3);
        var rho = Stats.Summarize([0.9, 0.95, 0.85, 0.92]);
        Assert.Equal(TrajectoryAgreementSummary.Verdict.DoesNotDrive, new TrajectoryAgreementSummary("g", 12, rho, 1.0, 0.76, 1.0).Decide());
        Assert.Equal(TrajectoryAgreementSummary.Verdict.CannotTell, new TrajectoryAgreementSummary("g", 4, rho, 0.75, 0.30, 0.95).Decide());
        Assert.Equal(TrajectoryAgreementSummary.Verdict.Drives, new TrajectoryAgreementSummary("g", 4, Stats.Summarize([0.1, -0.2, 0.0, 0.05]), 0.5, 0.15, 0.85).Decide());
    }

    [Fact]
    public void A_tuned_run_on_random_forgetting_is_observed_at_its_tuned_length_and_says_what_it_ran()
    {
        var o = Small with { Tuned = true, ForgetKinds = ["random"], PerLayer = false, TrainLlc = false };
        var res = new ExperimentResult(UnlearningTrajectoryExperiment.Name, UnlearningTrajectoryExperiment.RunOne(o, "digits", "random", "graddiff", 0));
        Assert.All(res.Table, r => Assert.Equal("digits/random", r.Model));
        double V(string m, string? subset = null) => res.Rows(m, "graddiff", dataSubset: subset).Single().Value;
        var grid = ProcedureTuning.DefaultGrid("graddiff", quick: true);
        Assert.Contains(V("tuned_lr"), grid.Lrs);
        Assert.Contains((int)V("tuned_steps"), grid.Steps);
        double run = V("run_steps");
        Assert.True(run % o.Checkpoints == 0 && run >= V("tuned_steps") && run - V("tuned_steps") < o.Checkpoints, $"run {run}, tuned {V("tuned_steps")}");
        Assert.Equal(9, res.Rows("accuracy", "graddiff", dataSubset: "forget").Count());
        Assert.Equal(run, res.Rows("accuracy", "graddiff").Max(r => r.Step!.Value));
        Assert.InRange(V("retrain_accuracy", "retain"), 0.5, 1.0);
        // The erasers run on the same problem: the concept is membership of the random D_f.
        var leace = UnlearningTrajectoryExperiment.RunOne(o, "digits", "random", "leace", 0);
        Assert.DoesNotContain(leace, r => r.Metric == "tuned_lr");
        Assert.Equal(9, leace.Count(r => r.Metric == "strength"));
        Assert.Throws<ArgumentException>(() => (o with { ForgetKinds = ["half"] }).Validate());
        Assert.Throws<ArgumentException>(() => (o with { Datasets = ["mnist"] }).Validate());
    }

    [Fact]
    public void Trajectory_sweep_cells_are_one_procedure_and_seed_each_and_concatenate_to_the_in_process_protocol()
    {
        var o = Small with { Procedures = ["leace", "neggrad"], PerLayer = false };
        var protocol = SweepProtocols.Get("trajectory");
        var plan = SweepPlan.Create(protocol, SweepJson.Canonical(o), "test");
        Assert.Equal(2, plan.Cells.Count);
        var cells = new ResultsTable();
        foreach (var c in plan.Cells) cells.AddRange(protocol.Run(c.Input, null));
        var inProcess = UnlearningTrajectoryExperiment.Run(o).Table;
        Assert.Equal(SweepMerge.Canonical(inProcess).ToCsv(), SweepMerge.Canonical(cells).ToCsv());
        Assert.Throws<InvalidDataException>(() => protocol.Cells(SweepJson.Canonical(o with { Procedures = ["nope"] })));
    }

    [Fact]
    public void The_heatmap_has_one_row_per_procedure_and_layer_and_marks_cells_without_a_valid_seed()
    {
        var t = new ResultsTable();
        foreach (var (p, layer) in new[] { ("a", "fc1"), ("a", "fc2"), ("b", "fc1") })
            for (int k = 0; k <= 8; k++)
            {
                t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.CheckpointMetric, 10 + k, p, 0, k * (p == "a" ? 10 : 1), layer, "retain"));
                t.Add(LlcRows.Metric("x", "m", TrajectoryLlc.CheckpointMetric + "_valid", p == "b" && k == 4 ? 0 : 1, p, 0, k * (p == "a" ? 10 : 1), layer, "retain"));
            }
        var chart = TrajectoryCharts.Heatmap(new ExperimentResult("x", t), TrajectoryLlc.CheckpointMetric, "retain", ["a", "b"], ["fc1", "fc2"], "h", relative: false);
        var data = JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement.GetProperty("data");
        Assert.Equal("heatmap", data[0].GetProperty("type").GetString());
        Assert.Equal(["a · fc1", "a · fc2", "b · fc1"], data[0].GetProperty("y").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(9, data[0].GetProperty("x").GetArrayLength());   // both procedures on one "fraction of the run" axis
        var row = data[0].GetProperty("z")[2];
        Assert.Equal(JsonValueKind.Null, row[4].ValueKind);
        Assert.Equal(8.0, row[8].GetDouble());
        Assert.Equal(0.5, data[1].GetProperty("x")[0].GetDouble());
        var lines = TrajectoryCharts.Lines(new ExperimentResult("x", t), TrajectoryLlc.CheckpointMetric, "retain", "fc1", ["a", "b"], "l");
        Assert.Contains("failed validity", GenericChart.toFigureJson(lines));
        Assert.DoesNotContain("off the axis", GenericChart.toFigureJson(lines));
        // A failed point far off the valid ones no longer sets the scale: the axis spans the valid points and a note says so.
        var far = new ResultsTable(t.Select(r => r.Procedure == "b" && r.Step == 4 && r.Metric == TrajectoryLlc.CheckpointMetric && r.Layer == "fc1" ? r with { Value = -1e5 } : r));
        var json = GenericChart.toFigureJson(TrajectoryCharts.Lines(new ExperimentResult("x", far), TrajectoryLlc.CheckpointMetric, "retain", "fc1", ["a", "b"], "l"));
        Assert.Contains("1 failed-validity point off the axis", json);
        var range = JsonDocument.Parse(json).RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("range");
        Assert.True(range[0].GetDouble() > -100 && range[1].GetDouble() < 100);
    }
}
