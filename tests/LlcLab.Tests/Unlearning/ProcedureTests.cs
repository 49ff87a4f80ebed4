using LlcLab.Models;
using LlcLab.Unlearning;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Unlearning;

public class ProcedureTests
{
    static readonly UnlearnOptions Short = new() { Steps = 60, Lr = 0.01, BatchSize = 64, CheckpointEvery = 20 };

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static Network Final(IUnlearningProcedure p, Network original, long seed = 0) =>
        p.Run(original, UnlearningFixture.Data, seed).Last().ToNetwork(original);

    [Fact]
    public void Original_model_knows_the_forget_class()
    {
        using var original = UnlearningFixture.Original();
        Assert.True(UnlearningFixture.Accuracy(original, UnlearningFixture.Data.Forget) > 0.95);
        Assert.True(UnlearningFixture.Accuracy(original, UnlearningFixture.Data.Test!) > 0.9);
    }

    [Fact]
    public void Gradient_ascent_lowers_forget_accuracy_and_leaves_the_original_untouched()
    {
        using var original = UnlearningFixture.Original();
        var before = original.StateDict();
        var cks = new NegGrad(Short).Run(original, UnlearningFixture.Data, seed: 3).ToList();
        Assert.Equal([0, 20, 40, 60], cks.Select(c => c.Step));
        using var first = cks[0].ToNetwork(original);
        using var last = cks[^1].ToNetwork(original);
        double f0 = UnlearningFixture.Accuracy(first, UnlearningFixture.Data.Forget);
        double f1 = UnlearningFixture.Accuracy(last, UnlearningFixture.Data.Forget);
        Assert.True(f0 > 0.95, $"forget accuracy before {f0}");
        Assert.True(f1 < 0.2, $"forget accuracy after gradient ascent {f1}");
        Assert.True(cks[^1].Loss < cks[1].Loss, "the ascent objective −CE(D_f) should decrease");
        Assert.Equal(0, cks[^1].Usage.RetainDraws);
        foreach (var (k, v) in original.StateDict()) Assert.True(Same(v, before[k]), $"original parameter {k} changed");
    }

    [Fact]
    public void Retrain_never_reads_the_forget_set()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var opts = Short with { Steps = 40 };
        var last = new Retrain(opts).Run(original, data, seed: 5).Last();
        Assert.Equal(0, last.Usage.ForgetDraws);
        Assert.Empty(last.Usage.ForgetRows);
        Assert.Empty(last.Usage.RetainRows.Intersect(data.Forget.Indices!));
        Assert.Subset(data.Retain.Indices!.ToHashSet(), last.Usage.RetainRows.ToHashSet());
        Assert.Equal(40 * 64, last.Usage.RetainDraws);

        // Replacing D_f's contents (inputs and labels) by anything else leaves the retrained weights bit-identical.
        using var g = LlcLab.Runtime.Seeding.Generator(9);
        var garbage = new LabelledSubset(rand(data.Forget.X.shape, generator: g), randint(0, 10, data.Forget.Y.shape, generator: g), data.Forget.Indices);
        var other = new Retrain(opts).Run(original, data with { Forget = garbage }, seed: 5).Last();
        foreach (var (k, v) in last.State) Assert.True(Same(v, other.State[k]), $"retrain depends on D_f through {k}");

        // ... and it does not start from the original weights.
        Assert.False(Same(last.State["0.weight"], original.StateDict()["0.weight"]));
    }

    [Fact]
    public void Finetune_uses_only_the_retain_set_and_keeps_retain_accuracy()
    {
        using var original = UnlearningFixture.Original();
        var last = new Finetune(Short).Run(original, UnlearningFixture.Data, seed: 1).Last();
        Assert.Equal(0, last.Usage.ForgetDraws);
        using var net = last.ToNetwork(original);
        Assert.True(UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Retain) > 0.95);
    }

    [Fact]
    public void Procedures_are_deterministic_given_the_seed()
    {
        using var original = UnlearningFixture.Original();
        var p = new RandomRelabel(Short with { Steps = 20 });
        var a = p.Run(original, UnlearningFixture.Data, seed: 7).Last().State;
        var b = p.Run(original, UnlearningFixture.Data, seed: 7).Last().State;
        var c = p.Run(original, UnlearningFixture.Data, seed: 8).Last().State;
        Assert.All(a, kv => Assert.True(Same(kv.Value, b[kv.Key])));
        Assert.Contains(a, kv => !Same(kv.Value, c[kv.Key]));
    }

    [Fact]
    public void Random_relabelling_draws_wrong_labels_and_forgets()
    {
        var y = arange(10, dtype: ScalarType.Int64).repeat(50);
        var wrong = RandomRelabel.WrongLabels(y, 10, seed: 1);
        Assert.False(wrong.eq(y).any().item<bool>());
        Assert.True(wrong.ge(0).all().item<bool>() && wrong.lt(10).all().item<bool>());
        Assert.Equal(10, wrong.unique().Item1.shape[0]);

        using var original = UnlearningFixture.Original();
        using var net = Final(new RandomRelabel(Short with { Steps = 80 }), original, seed: 2);
        Assert.True(UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Forget) < 0.3);
        Assert.True(UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Retain) > 0.9);
    }

    [Fact]
    public void GradDiff_forgets_while_keeping_the_retain_set()
    {
        using var original = UnlearningFixture.Original();
        using var net = Final(new GradDiff(Short with { Steps = 80 }, Alpha: 0.95), original, seed: 4);
        double f = UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Forget), r = UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Retain);
        Assert.True(f < 0.2 && r > 0.95, $"forget {f}, retain {r}");
    }

    [Fact]
    public void Scrub_forgets_while_keeping_the_retain_set()
    {
        using var original = UnlearningFixture.Original();
        using var net = Final(new Scrub(Short with { Steps = 150, Lr = 0.005 }, MaxCycles: 4), original, seed: 4);
        double f = UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Forget), r = UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Retain);
        Assert.True(f < 0.5 && r > 0.95, $"forget {f}, retain {r}");
    }

    [Fact]
    public void Scrub_schedule_alternates_forget_passes_then_retain_passes()
    {
        var s = Scrub.Schedule(steps: 12, forgetBatches: 2, retainBatches: 3, maxCycles: 2);
        Assert.Equal([true, true, false, false, false, true, true, false, false, false, false, false], s);
    }

    [Fact]
    public void SalUn_changes_only_the_salient_weights()
    {
        using var original = UnlearningFixture.Original();
        var w0 = original.StateDict();
        var p = new SalUn(Short with { Steps = 80, WeightDecay = 1e-3 }, MaskFraction: 0.2);
        var last = p.Run(original, UnlearningFixture.Data, seed: 3).Last();
        long changed = last.State.Sum(kv => kv.Value.ne(w0[kv.Key]).sum().item<long>());
        long total = original.ParameterCount;
        Assert.True(changed <= (long)Math.Ceiling(0.2 * total), $"{changed} of {total} weights changed with a 20% mask");
        Assert.True(changed > 0.1 * total, $"only {changed} of {total} weights changed");
        using var net = last.ToNetwork(original);
        Assert.True(UnlearningFixture.Accuracy(net, UnlearningFixture.Data.Forget) < 0.3);
    }

    [Fact]
    public void Diverging_procedure_stops_with_a_clear_error()
    {
        using var original = UnlearningFixture.Original();
        var e = Assert.Throws<UnlearningDivergedException>(() =>
            new NegGrad(Short with { Lr = 1e6, Momentum = 0 }).Run(original, UnlearningFixture.Data).ToList());
        Assert.Contains("neggrad", e.Message);
        Assert.Contains("step", e.Message);
        Assert.Contains("--lr 1e5", e.Message);
        Assert.True(e.Step >= 1 && e.Step <= 20);

        // Exploding (but finite) weights are caught too.
        var e2 = Assert.Throws<UnlearningDivergedException>(() =>
            new NegGrad(Short with { MaxAbsWeight = 2.0 }).Run(original, UnlearningFixture.Data).ToList());
        Assert.Contains("MaxAbsWeight", e2.Message);
    }

    [Fact]
    public void Bad_hyperparameters_are_clear_errors()
    {
        using var original = UnlearningFixture.Original();
        Assert.Contains("Alpha", Assert.Throws<ArgumentException>(() => new GradDiff(Alpha: 2).Run(original, UnlearningFixture.Data)).Message);
        Assert.Contains("MaskFraction", Assert.Throws<ArgumentException>(() => new SalUn(MaskFraction: 0).Run(original, UnlearningFixture.Data)).Message);
        Assert.Contains("Lr", Assert.Throws<ArgumentException>(() => new NegGrad(new UnlearnOptions { Lr = -1 }).Run(original, UnlearningFixture.Data)).Message);
        using var wrong = Network.Create("mlp:5-4-10:relu", device: CPU);
        Assert.Contains("inputs", Assert.Throws<ArgumentException>(() => new NegGrad().Run(wrong, UnlearningFixture.Data)).Message);
    }
}
