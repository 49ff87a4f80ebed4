using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

/// <summary>Guarantees of the estimator beyond ground-truth accuracy (short chains: these compare, not calibrate).</summary>
public class EstimatorBehaviourTests
{
    static readonly SgldOptions Short = new() { Draws = 600, BurnIn = 300, Chains = 4, Seed = 3 };

    [Fact]
    public void More_degenerate_point_has_lower_llc()
    {
        using var degenerate = LinearTruth.DeepLinear([5, 3, 5], 0, GroundTruthTests.N, seed: 11, CPU); // λ = 6.5
        using var generic = LinearTruth.DeepLinear([5, 3, 5], 3, GroundTruthTests.N, seed: 11, CPU);    // λ = 12
        var a = Llc.Estimate(degenerate.Model, degenerate.X, degenerate.Y, Short);
        var b = Llc.Estimate(generic.Model, generic.X, generic.Y, Short);
        Assert.True(a.Mean < b.Mean, $"rank 0: {a.Mean:F2}, rank 3: {b.Mean:F2}");
        Assert.True(a.PerChain.Max() < b.PerChain.Min(), "every chain should order the two points");
    }

    [Fact]
    public void Weight_restriction_with_a_frozen_bias_equals_the_smaller_model()
    {
        // mlp:4-3 (weight + bias) at a point with bias 0; freezing the bias leaves exactly dln:4-3 (λ = 6).
        using var full = Network.Create("mlp:4-3", seed: 5, device: CPU);
        using (no_grad()) full.ParameterTensors()[1].zero_();
        using var small = Network.Create("dln:4-3", seed: 5, device: CPU);
        small.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = full.StateDict()["0.weight"] });
        var x = randn([GroundTruthTests.N, 4], generator: LlcLab.Runtime.Seeding.Generator(9));
        var y = full.Forward(x);
        var restricted = Llc.EstimateWeightRestricted(full, x, y, ["0.weight"], Short);
        var smaller = Llc.Estimate(small, x, y, Short);
        Assert.Equal(["0.weight"], restricted.SampledParameters);
        Assert.Equal(12, restricted.MovingParameters);
        Assert.Equal(smaller.Mean, restricted.Mean, 6);
        Assert.InRange(restricted.Mean, 6 * 0.85, 6 * 1.15);
        // and the unrestricted model (d/2 = 7.5) has the larger LLC
        var all = Llc.Estimate(full, x, y, Short);
        Assert.True(all.Mean > restricted.Mean, $"full {all.Mean:F2} vs restricted {restricted.Mean:F2}");
    }

    [Fact]
    public void Parameter_filters_accept_prefixes_and_globs_and_reject_unknown_names()
    {
        string[] names = ["0.weight", "0.bias", "2.weight", "2.bias"];
        Assert.Equal([true, true, false, false], Llc.Select(names, ["0"]));
        Assert.Equal([false, false, true, false], Llc.Select(names, ["2.weight"]));
        Assert.Equal([true, false, true, false], Llc.Select(names, ["*.weight"]));
        var e = Assert.Throws<ArgumentException>(() => Llc.Select(names, ["4.weight"]));
        Assert.Contains("2.bias", e.Message);
    }

    [Fact]
    public void Vectorised_and_sequential_chains_agree()
    {
        using var p = LinearTruth.Regular(4, 3, GroundTruthTests.N, seed: 21, CPU);
        var o = Short with { Chains = 4, Draws = 1000 };
        var vec = Llc.Estimate(p.Model, p.X, p.Y, o);
        var before = p.Model.StateDict();
        var seq = Llc.Estimate(p.Model, p.X, p.Y, o, vectorized: false);
        Assert.False(seq.Vectorized);
        Assert.Equal(vec.InitLoss, seq.InitLoss, 6);
        double se = Math.Sqrt(vec.StdError * vec.StdError + seq.StdError * seq.StdError);
        Assert.True(Math.Abs(vec.Mean - seq.Mean) < 4 * se + 0.05 * p.TrueLlc,
            $"vectorised {vec.Mean:F3} ± {vec.StdError:F3} vs sequential {seq.Mean:F3} ± {seq.StdError:F3}");
        Assert.InRange(seq.Mean, p.TrueLlc * 0.85, p.TrueLlc * 1.15);
        // the caller's module is back at w* afterwards
        foreach (var (k, v) in p.Model.StateDict()) Assert.True(v.allclose(before[k], 0, 0), $"{k} was not restored");
    }

    [Fact]
    public void Same_seed_gives_identical_results_and_a_new_seed_does_not()
    {
        using var p = LinearTruth.DeepLinear([4, 2, 3], 1, 500, seed: 2, CPU);
        var o = new SgldOptions { Draws = 100, BurnIn = 20, Chains = 3, Seed = 42, BatchSize = 128 };
        var a = Llc.Estimate(p.Model, p.X, p.Y, o);
        var b = Llc.Estimate(p.Model, p.X, p.Y, o);
        var c = Llc.Estimate(p.Model, p.X, p.Y, o with { Seed = 43 });
        Assert.Equal(a.PerChain, b.PerChain);
        Assert.Equal(a.LossTrace.SelectMany(t => t), b.LossTrace.SelectMany(t => t));
        Assert.NotEqual(a.PerChain, c.PerChain);
        var s1 = Llc.Estimate(p.Model.Module, p.X, p.Y, o);
        var s2 = Llc.Estimate(p.Model.Module, p.X, p.Y, o);
        Assert.Equal(s1.PerChain, s2.PerChain);
    }

    [Fact]
    public void Data_restriction_measured_on_the_training_set_is_the_plain_estimate()
    {
        using var p = LinearTruth.DeepLinear([4, 2, 3], 1, 500, seed: 4, CPU);
        var o = new SgldOptions { Draws = 100, BurnIn = 20, Chains = 2, Seed = 1 };
        var plain = Llc.Estimate(p.Model, p.X, p.Y, o);
        var measured = Llc.EstimateDataRestricted(p.Model, p.X, p.Y, p.X, p.Y, DataRestriction.MeasureOnly, o);
        var posterior = Llc.EstimateDataRestricted(p.Model, p.X, p.Y, p.X, p.Y, DataRestriction.Posterior, o);
        Assert.Equal(plain.Mean, measured.Mean, 4);
        Assert.Equal(plain.Mean, posterior.Mean, 4);
        // A half of the data, measured only: same posterior, different loss set; still a positive, finite estimate.
        var half = Llc.EstimateDataRestricted(p.Model, p.X, p.Y, p.X.narrow(0, 0, 250), p.Y.narrow(0, 0, 250), DataRestriction.MeasureOnly, o);
        Assert.Equal(plain.NBeta, half.NBeta);
        Assert.True(half.Mean > 0 && double.IsFinite(half.Mean));
    }

    [Fact]
    public void Observers_see_every_draw_in_order_and_full_progress()
    {
        using var p = LinearTruth.DeepLinear([3, 2, 3], 1, 300, seed: 5, CPU);
        var obs = new Recorder();
        var o = new SgldOptions { Draws = 150, BurnIn = 30, Chains = 2, StepsBetweenDraws = 2, CheckInterval = 40 };
        var r = Llc.Estimate(p.Model, p.X, p.Y, o, [obs]);
        Assert.Equal(2 * 150, obs.Draws.Count);
        Assert.Equal(Enumerable.Range(0, 150), obs.Draws.Where(d => d.Chain == 1).Select(d => d.Draw));
        Assert.Equal(r.LossTrace[1][77], obs.Draws.Single(d => d.Chain == 1 && d.Draw == 77).Loss, 6);
        Assert.Equal(r.LlcTrace[0][5], obs.Draws.Single(d => d.Chain == 0 && d.Draw == 5).Llc, 3);
        Assert.Equal(o.TotalSteps, obs.LastProgress);
        Assert.True(obs.Started && obs.Finished);
    }

    sealed class Recorder : ISamplerObserver
    {
        public List<SamplerDraw> Draws { get; } = [];
        public long LastProgress;
        public bool Started, Finished;
        public void OnStart(int chains, int draws, long totalSteps, bool vectorized) => Started = true;
        public void OnDraw(SamplerDraw draw) => Draws.Add(draw);
        public void OnProgress(long done, long total) => LastProgress = done;
        public void OnFinish() => Finished = true;
    }
}
