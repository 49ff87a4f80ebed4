using LlcLab.Runtime;
using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Tests.IO;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Models;

public class TrainerTests
{
    [Fact]
    public void Digits_mlp_reaches_95_percent_test_accuracy_in_seconds()
    {
        var (train, test) = Digits.Load().Split(0.2, seed: 0);
        using var net = Network.Create("mlp:64-64-10:relu", seed: 1, device: CPU);
        var progress = new List<TrainProgress>();
        var r = Trainer.Train(net, train, new TrainOptions { MaxEpochs = 40, Test = test, Seed = 3, Progress = progress.Add });
        Assert.True(r.TestAccuracy > 0.95, r.ToString());
        Assert.True(r.TrainAccuracy > 0.98, r.ToString());
        Assert.Equal(r.Epochs, progress.Count);
        Assert.Equal(r.Steps, r.LossCurve.Count);
        Assert.True(r.EpochLosses[^1] < 0.2 * r.EpochLosses[0]);
        Assert.Equal(r.TestAccuracy!.Value, Evaluate.Accuracy(net, test), 12);
        Assert.True(r.ElapsedSeconds < 60);
    }

    [Fact]
    public void Same_seed_gives_the_same_run_and_checkpoints_are_saved()
    {
        var data = SyntheticConcept.Generate(n: 300, d: 8, seed: 1).Data;
        using var dir = new Fixture.TempDir();
        TrainResult Run(Network n, string? ckdir) => Trainer.Train(n, data, new TrainOptions
        {
            MaxEpochs = 3, BatchSize = 32, Seed = 9, CheckpointEvery = 10, CheckpointDirectory = ckdir, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9,
        });
        using var a = Network.Create("mlp:8-16-2:tanh", seed: 4, device: CPU);
        var init = a.StateDict();
        var ra = Run(a, dir.Root);
        using var b = Network.Create("mlp:8-16-2:tanh", seed: 4, device: CPU);
        var rb = Run(b, null);
        Assert.Equal(ra.LossCurve, rb.LossCurve);
        Assert.Equal(30, ra.Steps); // 300 / 32 → 10 minibatches per epoch
        Assert.Equal(new long[] { 0, 10, 20, 30 }, ra.Checkpoints.Select(c => c.Step));
        Assert.True(ra.Checkpoints[0].State!["0.weight"].equal(init["0.weight"]).all().item<bool>());
        Assert.True(ra.Checkpoints[^1].State!["2.bias"].equal(a.StateDict()["2.bias"]).all().item<bool>());
        // Files: loadable and equal to the in-memory checkpoint.
        var file = ra.Checkpoints[1].Path!;
        using var loaded = Network.Load(file);
        Assert.Equal("mlp:8-16-2:tanh", loaded.Spec.Text);
        Assert.True(loaded.StateDict()["0.weight"].equal(ra.Checkpoints[1].State!["0.weight"]).all().item<bool>());
        Assert.Equal("10", SafeTensors.ReadMetadata(file)["llclab.step"]);
    }

    [Fact]
    public void Early_stopping_on_target_accuracy_and_max_steps()
    {
        var data = SyntheticConcept.Generate(n: 400, d: 8, taskStrength: 4, seed: 2).Data;
        using var net = Network.Create("mlp:8-8-2:relu", seed: 0, device: CPU);
        var r = Trainer.Train(net, data, new TrainOptions { TargetAccuracy = 0.9, LearningRate = 0.01 });
        Assert.Equal("target-accuracy", r.StopReason);
        Assert.True(r.TrainAccuracy >= 0.9);
        using var net2 = Network.Create("mlp:8-8-2:relu", seed: 0, device: CPU);
        var r2 = Trainer.Train(net2, data, new TrainOptions { MaxSteps = 5 });
        Assert.Equal(("max-steps", 5L, 1), (r2.StopReason, r2.Steps, r2.Epochs));
    }

    [Fact]
    public void Regression_trains_with_the_gaussian_nll()
    {
        using var g = new Generator(1);
        var x = randn([256, 3], generator: g);
        var w = tensor(new[] { 1f, -2f, 0.5f, 0f, 1f, 1f }, [2, 3]);
        var data = new Dataset(x, x.matmul(w.T));
        using var net = Network.Create("dln:3-2", seed: 0, device: CPU);
        var r = Trainer.Train(net, data, new TrainOptions { MaxEpochs = 200, LearningRate = 0.05, Patience = null });
        Assert.Equal(LossKind.Mse, r.Loss);
        Assert.Null(r.TrainAccuracy);
        Assert.True(Evaluate.Loss(net, data) < 1e-4, r.ToString());
        Assert.True(allclose(net.StateDict()["0.weight"], w, atol: 1e-2));
    }

    [Fact]
    public void Losses_match_their_definitions_in_batched_form()
    {
        using var g = new Generator(3);
        var logits = randn([4, 7, 5], generator: g); // 4 chains, 7 examples, 5 classes
        var y = randint(5, [7], generator: g);
        var ce = Losses.Compute(LossKind.CrossEntropy, logits, y);
        Assert.Equal(new long[] { 4 }, ce.shape);
        for (int c = 0; c < 4; c++)
            Assert.Equal(nn.functional.cross_entropy(logits[c], y).item<float>(), ce[c].item<float>(), 5);
        var t = randn([7, 5], generator: g);
        var mse = Losses.Compute(LossKind.Mse, logits, t);
        for (int c = 0; c < 4; c++)
            Assert.Equal(0.5 * (logits[c] - t).Squared().sum().item<float>() / 7, mse[c].item<float>(), 4);
        Assert.Throws<ArgumentException>(() => Losses.Compute(LossKind.CrossEntropy, logits, t));
        Assert.Throws<ArgumentException>(() => Losses.Compute(LossKind.Mse, logits, randn(7, 2)));
    }

    [Fact]
    public void Save_and_load_round_trip_and_mismatch_errors()
    {
        using var dir = new Fixture.TempDir();
        using var net = Network.Create("mlp:4-3-2:relu", seed: 7, device: CPU);
        net.Save(dir.File("m.safetensors"));
        using var back = Network.Load(dir.File("m.safetensors"));
        using var x = randn(5, 4);
        Assert.True(back.Forward(x).equal(net.Forward(x)).all().item<bool>());
        using var viaSpec = Network.Load("mlp:4-3-2:relu", Fixture.Path("IO", "mlp_4_3_2.safetensors"), CPU);
        Assert.Equal(0.1f, viaSpec.StateDict()["0.bias"][0].item<float>());
        var e = Assert.Throws<ArgumentException>(() => Network.Load("mlp:4-5-2:relu", dir.File("m.safetensors"), CPU));
        Assert.Contains("0.weight", e.Message);
        SafeTensors.Write(dir.File("plain.safetensors"), net.StateDict());
        Assert.Contains("Network.Load(spec, path)", Assert.Throws<InvalidDataException>(() => Network.Load(dir.File("plain.safetensors"))).Message);
        Assert.Throws<ArgumentException>(() => Trainer.Train(net, new Dataset(randn(3, 4), randn(3)), new TrainOptions { Loss = LossKind.CrossEntropy }));
    }
}
