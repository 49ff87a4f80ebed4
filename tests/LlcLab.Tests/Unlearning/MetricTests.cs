using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Unlearning;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Unlearning;

public class MetricTests
{
    static CheckpointContext Context(Network model, Network original, UnlearningData data, long seed = 0) =>
        new(new UnlearningCheckpoint("test", 0, model.StateDict(), 0, DataUsage.None), model, original, data, seed);

    static MetricValue One(IEnumerable<MetricValue> values, string metric, string? layer = null, string? subset = null) =>
        values.Single(v => v.Metric == metric && v.Layer == layer && (subset is null || v.DataSubset == subset));

    [Fact]
    public void Auc_is_the_exact_mann_whitney_statistic()
    {
        Assert.Equal(1.0, MembershipInference.Auc([3, 4], [1, 2]));
        Assert.Equal(0.0, MembershipInference.Auc([1, 2], [3, 4]));
        Assert.Equal(0.5, MembershipInference.Auc([1, 1], [1, 1, 1]));
        Assert.Equal(0.75, MembershipInference.Auc([2, 4], [1, 3])); // pairs won: (2>1), (4>1), (4>3) of 4
        Assert.Equal(0.875, MembershipInference.Auc([2, 3], [1, 2])); // 3 wins + ½ tie of 4 pairs

        // Against brute-force pair counting on data with many ties.
        var rng = new Random(5);
        var m = Enumerable.Range(0, 137).Select(_ => (double)rng.Next(20)).ToArray();
        var n = Enumerable.Range(0, 91).Select(_ => (double)rng.Next(17)).ToArray();
        double wins = m.Sum(a => n.Sum(b => a > b ? 1.0 : a == b ? 0.5 : 0.0));
        Assert.Equal(wins / (m.Length * n.Length), MembershipInference.Auc(m, n), 12);

        Assert.Equal(1.0, MembershipInference.BestThresholdAccuracy([3, 4], [1, 2]));
        Assert.Equal(0.5, MembershipInference.BestThresholdAccuracy([1, 2], [3, 4])); // τ = +∞
        Assert.Equal(0.75, MembershipInference.BestThresholdAccuracy([2, 4], [1, 3]));
        Assert.Throws<ArgumentException>(() => MembershipInference.Auc([], [1]));
        Assert.Throws<ArgumentException>(() => MembershipInference.Auc([double.NaN], [1]));
    }

    [Fact]
    public void Membership_attack_is_at_chance_for_a_model_that_never_saw_the_forget_set_and_high_for_one_that_memorised_it()
    {
        // 300 digits with random labels: A (trained on by the memoriser = D_f), B (held out), C (trained on by the other model).
        var digits = Digits.Load(new DigitsOptions { PlantSpurious = false });
        using var g = LlcLab.Runtime.Seeding.Generator(21);
        var rows = randperm(digits.Count, generator: g).narrow(0, 0, 300);
        var x = digits.X.index_select(0, rows);
        var y = randint(0, 10, [300], generator: g, dtype: ScalarType.Int64);
        LabelledSubset Part(int start) => new(x.narrow(0, start, 100), y.narrow(0, start, 100));
        var (a, b, c) = (Part(0), Part(100), Part(200));
        Network Train(LabelledSubset on)
        {
            var net = Network.Create("mlp:64-256-10:relu", seed: 4, device: CPU);
            Trainer.Train(net, new Dataset(on.X, on.Y), new TrainOptions { LearningRate = 0.01, BatchSize = 100, MaxSteps = 300, Patience = null, Seed = 2 });
            return net;
        }
        using var memoriser = Train(a);
        using var other = Train(c);
        var data = new UnlearningData(a, c, b);
        Assert.True(UnlearningFixture.Accuracy(memoriser, a) > 0.95, "the memoriser should fit its random labels");

        var metric = new MembershipInferenceMetric();
        var high = metric.Evaluate(Context(memoriser, memoriser, data)).ToList();
        var chance = metric.Evaluate(Context(other, other, data)).ToList();
        Assert.True(One(high, "mia_auc").Value > 0.9, $"AUC on memorised data {One(high, "mia_auc").Value}");
        Assert.True(One(high, "mia_accuracy").Value > 0.8);
        Assert.InRange(One(chance, "mia_auc").Value, 0.38, 0.62); // ±3σ of the null AUC for 100 vs 100
        Assert.InRange(One(chance, "mia_accuracy").Value, 0.5, 0.65);
    }

    [Fact]
    public void Concept_probe_finds_parity_in_the_hidden_layer_and_nothing_in_random_labels()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var values = new ConceptProbeMetric().Evaluate(Context(original, original, data, seed: 1)).ToList();
        foreach (var protocol in new[] { "train_to_test", "test_halves" })
        {
            Assert.InRange(One(values, "probe_chance", null, protocol).Value, 0.45, 0.6);
            double acc = One(values, "probe_accuracy", "h1", protocol).Value;
            Assert.True(acc > 0.85, $"parity probe at h1 ({protocol}): {acc}");
        }

        using var g = LlcLab.Runtime.Seeding.Generator(3);
        var noise = data with { Test = data.Test! with { Concept = randint(0, 2, data.Test!.Y.shape, generator: g, dtype: ScalarType.Int64) } };
        var none = new ConceptProbeMetric().Evaluate(Context(original, original, noise, seed: 1)).ToList();
        Assert.True(One(none, "probe_accuracy", "h1", "test_halves").Value < One(none, "probe_chance", null, "test_halves").Value + 0.1);
    }

    [Fact]
    public void Relearning_time_is_zero_for_the_original_and_positive_after_unlearning()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var metric = new RelearnTimeMetric(new RelearnOptions { MaxSteps = 100, EvalEvery = 5 });
        Assert.Equal(0, One(metric.Evaluate(Context(original, original, data)), "relearn_steps").Value);

        var last = new NegGrad(new UnlearnOptions { Steps = 60, CheckpointEvery = 60 }).Run(original, data).Last();
        using var unlearned = last.ToNetwork(original);
        var v1 = metric.Evaluate(Context(unlearned, original, data, seed: 2)).ToList();
        var v2 = metric.Evaluate(Context(unlearned, original, data, seed: 2)).ToList();
        double steps = One(v1, "relearn_steps").Value;
        Assert.InRange(steps, 5, 100);
        Assert.Equal(0, steps % 5);
        Assert.Equal(steps, One(v2, "relearn_steps").Value); // deterministic
        Assert.Equal(steps == 100 ? 1 : 0, One(v1, "relearn_censored").Value);

        var capped = new RelearnTimeMetric(new RelearnOptions { MaxSteps = 1, EvalEvery = 1, Lr = 1e-6 });
        var vc = capped.Evaluate(Context(unlearned, original, data)).ToList();
        Assert.Equal(1, One(vc, "relearn_steps").Value);
        Assert.Equal(1, One(vc, "relearn_censored").Value);
    }

    [Fact]
    public void Llc_metric_reports_full_per_layer_and_data_restricted_estimates()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var o = new SgldOptions { Chains = 2, Draws = 40, BurnIn = 10, Seed = 5 };
        var all = new LlcMetric(o, [LlcSubset.Train, LlcSubset.Forget], perLayer: true).Evaluate(Context(original, original, data)).ToList();
        var values = all.Where(v => v.Metric == "llc").ToList();
        Assert.Equal(6, values.Count); // {train, forget} × {all, h1, output}
        // each estimate also reports its sampler diagnostics, keyed like its llc row
        Assert.Equal(6, all.Count(v => v.Metric == "llc_r_hat"));
        Assert.Equal(6, all.Count(v => v.Metric == "llc_fraction_below_init_loss"));
        Assert.Equal(["h1", "output"], values.Where(v => v.DataSubset == "train" && v.Layer is not null).Select(v => v.Layer!));
        Assert.All(values, v => { Assert.Equal("llc", v.Metric); Assert.True(double.IsFinite(v.Value)); Assert.Equal(2, v.NChains); Assert.Equal(40, v.NDraws); });

        var x = cat([data.Forget.X, data.Retain.X]);
        var y = cat([data.Forget.Y, data.Retain.Y]);
        var direct = Llc.Estimate(original, x, y, o);
        Assert.Equal(direct.Mean, values.Single(v => v.DataSubset == "train" && v.Layer is null).Value, 9);
        Assert.Equal(direct.NBeta, values.Single(v => v.DataSubset == "forget" && v.Layer is null).NBeta);
    }
}
