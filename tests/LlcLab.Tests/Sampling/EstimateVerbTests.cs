using System.CommandLine;
using System.Text.Json;
using LlcLab.Cli;
using LlcLab.Cli.Commands;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Tests.IO;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class EstimateVerbTests
{
    static int Run(params string[] args)
    {
        var root = new RootCommand("test") { new EstimateVerb().Build() };
        root.Options.Add(GlobalOptions.Device);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Estimate_writes_the_documented_json_keys()
    {
        using var dir = new Fixture.TempDir();
        using var p = LinearTruth.DeepLinear([4, 2, 3], 1, 400, seed: 3, CPU);
        p.Model.Save(dir.File("w.safetensors"));
        Npy.Write(dir.File("x.npy"), p.X);
        Npy.Write(dir.File("y.npy"), p.Y);
        int rc = Run("estimate", "--model", dir.File("w.safetensors"), "--data", dir.File("x.npy"), "--labels", dir.File("y.npy"), "--subset", "all",
            "--sgld-chains", "2", "--sgld-draws", "50", "--sgld-burnin", "10", "--sgld-seed", "4", "--out", dir.File("r.json"), "--quiet", "--device", "cpu");
        Assert.Equal(0, rc);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("r.json")));
        var root = doc.RootElement;
        foreach (var key in new[] { "llc_mean", "llc_std", "llc_per_chain", "init_loss", "nbeta", "elapsed_seconds", "lr", "localization", "chains", "draws", "burnin", "batch_size", "seed", "sampler", "traces", "model_sha256", "split_seed" })
            Assert.True(root.TryGetProperty(key, out _), $"missing key {key}");
        Assert.Equal(2, root.GetProperty("llc_per_chain").GetArrayLength());
        using var traces = JsonDocument.Parse(File.ReadAllText(dir.File("r.traces.json")));
        Assert.Equal(50, traces.RootElement.GetProperty("loss_trace")[1].GetArrayLength());
        Assert.Equal(400 / Math.Log(400), root.GetProperty("nbeta").GetDouble(), 6);
        // the library call with the same settings gives the same number (--subset all: every row, as given)
        var lib = Llc.Estimate(p.Model, p.X, p.Y, new SgldOptions { Chains = 2, Draws = 50, BurnIn = 10, Seed = 4 });
        Assert.Equal(lib.Mean, root.GetProperty("llc_mean").GetDouble(), 5);
    }

    [Fact]
    public void Mismatched_weights_or_data_are_exit_code_2()
    {
        using var dir = new Fixture.TempDir();
        using var net = Network.Create("mlp:4-3-2:relu", 1, CPU);
        net.Save(dir.File("w.safetensors"));
        Npy.Write(dir.File("x.npy"), randn(20, 4));
        Npy.Write(dir.File("y.npy"), zeros(20, ScalarType.Int64));
        Npy.Write(dir.File("x5.npy"), randn(20, 5));
        string[] common = ["--model", dir.File("w.safetensors"), "--labels", dir.File("y.npy"), "--out", dir.File("r.json"), "--quiet", "--sgld-draws", "5", "--sgld-burnin", "0"];
        Assert.Equal(2, Run(["estimate", "--arch", "mlp:4-5-2:relu", "--data", dir.File("x.npy"), .. common])); // contradicts the file's spec
        Assert.Equal(2, Run(["estimate", "--data", dir.File("x5.npy"), .. common]));
        Assert.Equal(2, Run(["estimate", "--data", dir.File("x.npy"), "--loss", "mse", .. common]));
        Assert.Equal(2, Run(["estimate", "--data", dir.File("missing.npy"), .. common]));
        Assert.False(File.Exists(dir.File("r.json")));
        Assert.Equal(0, Run(["estimate", "--arch", "mlp:4-3-2:relu", "--data", dir.File("x.npy"), .. common]));
        Assert.True(File.Exists(dir.File("r.json")));
    }
}
