using LlcLab.Analysis;
using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Sweeps;
using LlcLab.Tests.Unlearning;
using LlcLab.Unlearning;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

/// <summary>The RQ4 audit's parts: SalUn's SVC attack, AUROC with bootstrap, hard negatives, tuning, and the protocol's determinism.</summary>
public class UnlearningAuditTests
{
    [Fact]
    public void Rbf_svc_separates_an_interval_a_linear_rule_cannot()
    {
        // class 1 inside [−1, 1], class 0 outside ±2: no threshold on x separates them, an RBF machine does.
        var xs = Enumerable.Range(0, 41).Select(i => -1 + i * 0.05).Concat(Enumerable.Range(0, 20).Select(i => 2 + i * 0.1))
            .Concat(Enumerable.Range(0, 20).Select(i => -2 - i * 0.1)).ToArray();
        var ys = xs.Select(x => Math.Abs(x) <= 1).ToArray();
        var svc = RbfSvc.Fit(xs.Select(x => new[] { x }).ToList(), ys, c: 3);
        Assert.All(xs.Zip(ys), t => Assert.Equal(t.Second, svc.Predict([t.First])));
        Assert.True(svc.Predict([0.3]));
        Assert.False(svc.Predict([5.0]));
        Assert.Throws<ArgumentException>(() => RbfSvc.Fit([[0.0], [1.0]], [true, true]));
    }

    [Fact]
    public void Svc_efficacy_calls_a_confident_forget_set_members_and_an_unconfident_one_non_members()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        double kept = SvcMembershipInferenceMetric.Efficacy(original, data.Retain, data.Test!, data.Forget, seed: 0);
        var (suppressed, _) = HardNegatives.SuppressClass(original, data.Forget, UnlearningFixture.ForgetClass, 0);
        using (suppressed)
        {
            double gone = SvcMembershipInferenceMetric.Efficacy(suppressed, data.Retain, data.Test!, data.Forget, seed: 0);
            Assert.True(gone > 0.9, $"a forget set with confidence ≈ 0 must look like non-members (efficacy {gone})");
            Assert.True(kept < gone - 0.5, $"the original's D_f is a member set (efficacy {kept} vs {gone})");
        }
    }

    [Fact]
    public void Auroc_matches_known_values_and_its_bootstrap_is_deterministic()
    {
        Assert.Equal(0.75, Auroc.Of([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12); // scikit-learn's roc_auc_score example
        Assert.Equal(1.0, Auroc.Of([1, 2, 3, 4], [false, false, true, true]));
        Assert.Equal(0.5, Auroc.Of([1, 1, 1, 1], [false, true, false, true]));
        var perfect = Auroc.WithCi([1, 2, 3, 4, 5, 6], [false, false, false, true, true, true], 200);
        Assert.Equal((1.0, 1.0, 1.0), (perfect.Value, perfect.Low, perfect.High));
        double[] s = [0.2, 0.9, 0.4, 0.6, 0.1, 0.7, 0.5, 0.3];
        bool[] y = [false, true, false, true, false, false, true, true];
        var a = Auroc.WithCi(s, y, 500, seed: 3);
        Assert.Equal(a, Auroc.WithCi(s, y, 500, seed: 3));
        Assert.InRange(a.Value, a.Low, a.High);
        Assert.True(a.High - a.Low > 0.1, "eight units cannot pin an AUROC down");
        var self = Auroc.Difference(s, s, y, 200);
        Assert.Equal((0.0, 0.0, 0.0), (self.Value, self.Low, self.High));
        var flipped = Auroc.Difference(s, s.Select(v => -v).ToArray(), y, 200);
        Assert.Equal(2 * a.Value - 1, flipped.Value, 12);
        Assert.Throws<ArgumentException>(() => Auroc.Of([1, 2], [true, true]));
    }

    [Fact]
    public void Class_suppression_hides_the_forget_class_but_keeps_its_information()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var (net, shift) = HardNegatives.SuppressClass(original, data.Forget, UnlearningFixture.ForgetClass, 0);
        using (net)
        {
            Assert.True(shift > 0);
            Assert.Equal(0.0, Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y));
            Assert.True(Evaluate.Accuracy(net, data.Retain.X, data.Retain.Y) > Evaluate.Accuracy(original, data.Retain.X, data.Retain.Y) - 0.02);
            // every hidden layer is the original's, so D_f is as decodable as before …
            foreach (var layer in original.LayerNames)
                Assert.Equal(0f, (original.Activations(layer, data.Forget.X) - net.Activations(layer, data.Forget.X)).abs().max().item<float>());
            // … and adding δ back to one bias restores every prediction.
            var (_, bias) = HardNegatives.OutputParameters(net);
            using (no_grad()) net.Module.named_parameters().Single(p => p.name == bias).parameter[UnlearningFixture.ForgetClass].add_(shift);
            Assert.Equal(Evaluate.Accuracy(original, data.Forget.X, data.Forget.Y), Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y));
        }
    }

    [Fact]
    public void Head_suppression_and_shallow_ascent_look_unlearned_yet_keep_or_quickly_regain_the_forget_set()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var (head, steps) = HardNegatives.SuppressHead(original, data, 0.05, seed: 0);
        using (head)
        {
            Assert.InRange(steps, 1, 299);
            Assert.True(Evaluate.Accuracy(head, data.Forget.X, data.Forget.Y) <= 0.05);
            var hidden = original.LayerNames[^1];
            Assert.Equal(0f, (original.Activations(hidden, data.Forget.X) - head.Activations(hidden, data.Forget.X)).abs().max().item<float>());
        }
        var (shallow, ascent) = HardNegatives.ShallowAscent(original, data, 0.05, seed: 0);
        using (shallow)
        {
            Assert.True(Evaluate.Accuracy(shallow, data.Forget.X, data.Forget.Y) <= 0.05);
            var ctx = new CheckpointContext(new UnlearningCheckpoint("x", ascent, shallow.StateDict(), 0, DataUsage.None), shallow, original, data, 0);
            var relearn = new RelearnTimeMetric(new RelearnOptions { MaxSteps = 50, EvalEvery = 1 }).Evaluate(ctx).Single(v => v.Metric == "relearn_steps").Value;
            Assert.True(relearn <= 10, $"a shallow ascent relearns D_f within a few steps (took {relearn})");
        }
        using var p = HardNegatives.Perturb(original, 0.05, seed: 0);
        foreach (var (a, b) in p.ParameterTensors().Zip(original.ParameterTensors()))
            Assert.Equal(0.05, (a - b).norm().item<float>() / b.norm().item<float>(), 3);
    }

    [Fact]
    public void Tuning_prefers_feasible_points_then_the_forget_gap_and_stays_within_its_budget()
    {
        var target = new TuningTarget(0.0, 0.99, 0.97);
        var points = new List<TuningPoint>
        {
            new(0.1, 10, 0.00, 0.90, 0.90),  // forgets, but breaks the model: infeasible
            new(0.01, 30, 0.20, 0.98, 0.96), // feasible, gap 0.2
            new(0.01, 20, 0.10, 0.985, 0.965), // feasible, gap 0.1 → chosen
            new(0.03, 20, 0.10, 0.98, 0.96), // same gap and steps, larger lr
        };
        var (chosen, feasible) = ProcedureTuning.Choose(points, target);
        Assert.True(feasible);
        Assert.Equal(points[2], chosen);
        var (fallback, ok) = ProcedureTuning.Choose(points.Take(1).Append(new TuningPoint(0.01, 50, 0.5, 0.95, 0.93)).ToList(), target);
        Assert.False(ok);
        Assert.Equal(0.1, fallback.Lr); // total gaps 0.16 vs 0.58

        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var grid = new TuningGrid("graddiff", [0.003, 0.03], 40, 10);
        var t = ProcedureTuning.Tune(grid, original, data, data.Test!, new TuningTarget(0, 0.99, 0.95), seed: 0);
        Assert.Equal(8, t.Grid.Count);
        Assert.Contains(t.Chosen, t.Grid);
        Assert.InRange(t.Chosen.Steps, 10, 40);
        Assert.Contains(t.Chosen.Lr, grid.Lrs);
        Assert.Equal(ProcedureTuning.Choose(t.Grid, new TuningTarget(0, 0.99, 0.95)).Point, t.Chosen);
        using var net = original.Clone();
        net.LoadStateDict(t.State);
        Assert.Equal(t.Chosen.Forget, Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y));
    }

    static UnlearningAuditOptions Tiny => UnlearningAuditOptions.QuickMode with
    {
        DigitsArch = "mlp:64-16-16-10:relu", ForgetKinds = ["class", "random"], Procedures = ["finetune"], Erasers = ["leace"], PositiveRetrains = 1, RelearnMaxSteps = 10,
        MaxPolishSteps = 50, HutchinsonProbes = 2, Sgld = DigitsTask.DefaultSgld(quick: true) with { Chains = 1, Draws = 40, BurnIn = 40, ComputeMala = false },
    };

    [Fact]
    public void The_audit_is_deterministic_its_sweep_cells_concatenate_and_its_labels_follow_the_construction()
    {
        var a = UnlearningAuditExperiment.Run(Tiny);
        var protocol = SweepProtocols.Get("rq4-audit");
        var plan = SweepPlan.Create(protocol, SweepJson.Canonical(Tiny), "test");
        Assert.Equal(2, plan.Cells.Count);
        var cells = new ResultsTable();
        foreach (var c in plan.Cells) cells.AddRange(protocol.Run(c.Input, null));
        Assert.Equal(SweepMerge.Canonical(a.Table).ToCsv(), SweepMerge.Canonical(cells).ToCsv());

        var signals = new UnlearningSignals(a);
        Assert.DoesNotContain(signals.Units, u => u.Procedure == UnlearningAuditExperiment.Reference);
        foreach (var u in signals.Units)
        {
            bool? expected = u.Procedure == "retrain-1" ? true : u.Procedure == "original" || u.Procedure.StartsWith("hn-") ? false : null;
            Assert.Equal(expected, u.ByConstruction);
            Assert.NotNull(u.ByBehaviour);
            Assert.Equal(UnlearningSignals.Definitions.Count, u.Signals.Count);
        }
        Assert.Equal(0.0, a.Rows("weight_distance", "original").First().Value);
        // The LEACE arm: measured like a procedure (one edit, no optimiser steps), labelled by behaviour only.
        Assert.Equal(2, a.Rows("opt_steps", "leace").Count());
        Assert.All(a.Rows("opt_steps", "leace"), r => Assert.Equal(0, r.Value));
        Assert.All(a.Rows("weight_distance", "leace"), r => Assert.True(r.Value > 0));
        Assert.Contains(signals.Units, u => u.Procedure == "leace" && u.ByConstruction is null);
        Assert.Throws<ArgumentException>(() => UnlearningAuditExperiment.Run(Tiny with { Erasers = ["rlace"] }));
        Assert.All(a.Rows("relearn_steps"), r => Assert.Equal(Math.Round(r.Value), r.Value));
        var (scores, comparisons, verdicts) = signals.Score(100);
        var rows = UnlearningSignals.ToRows(scores, comparisons, verdicts, "06").ToList();
        Assert.All(rows.Where(r => r.Metric == "auroc"), r => Assert.InRange(r.Value, 0, 1));
        Assert.All(scores.Where(s => !s.IsLlc), s => Assert.True(s.Auroc.Value >= 0.5, "baselines are oriented in their favour"));
    }
}
