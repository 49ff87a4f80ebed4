using System.Text.Json;
using LlcLab.Cli.Options;
using LlcLab.Tests.IO;
using Xunit;
using static LlcLab.Tests.Cli.CliHarness;

namespace LlcLab.Tests.Cli;

/// <summary>Fashion-MNIST as a built-in data set: the official split in every verb, stratified subsets, and no --test-fraction.</summary>
[Collection("cli")]
public class FashionMnistCliTests
{
    [Fact]
    public void The_full_set_keeps_the_official_60000_10000_split()
    {
        var split = BuiltinData.TryLoadSplit("fashion-mnist", seed: 0, splitSeed: 0);
        Assert.NotNull(split);
        Assert.Equal(60_000, split.Value.Train.Count);
        Assert.Equal(10_000, split.Value.Test.Count);
        Assert.True(BuiltinData.HasOfficialSplit("Fashion-MNIST:1000"));
        Assert.False(BuiltinData.HasOfficialSplit("digits"));
    }

    [Fact]
    public void A_subset_is_stratified_seeded_by_the_split_seed_and_drawn_from_the_official_parts()
    {
        var a = BuiltinData.TryLoadSplit("fashion-mnist:1200", 0, splitSeed: 7)!.Value;
        var b = BuiltinData.TryLoadSplit("fashion-mnist:1200", 0, splitSeed: 7)!.Value;
        var c = BuiltinData.TryLoadSplit("fashion-mnist:1200", 0, splitSeed: 8)!.Value;
        Assert.Equal(1200, a.Train.Count);
        Assert.Equal(200, a.Test.Count);
        // stratified: 120 rows of each of the 10 classes (the official train set is balanced, 6,000 per class)
        var counts = a.Train.Y.bincount(null, 10).data<long>().ToArray();
        Assert.All(counts, k => Assert.Equal(120, k));
        Assert.True(TorchSharp.torch.allclose(a.Train.X, b.Train.X, 0, 0), "same --split-seed, same rows");
        Assert.False(TorchSharp.torch.allclose(a.Train.X, c.Train.X, 0, 0), "another --split-seed draws other rows");
    }

    [Fact]
    public void Test_fraction_is_refused_for_a_set_with_an_official_split()
    {
        using var dir = new Fixture.TempDir();
        AssertUsageError(Run("train", "--data", "fashion-mnist", "--test-fraction", "0.3", "--arch", "mlp:784-8-10:relu", "--out", dir.File("m.safetensors")),
            "--test-fraction", "official");
        AssertUsageError(Run("train", "--data", "fashion-mnist:5", "--arch", "mlp:784-8-10:relu", "--out", dir.File("m.safetensors")),
            "fashion-mnist:N");
        Assert.Empty(Files(dir.Root));
    }

    [Fact]
    public void Train_then_estimate_reads_the_recorded_fashion_mnist_subset()
    {
        using var dir = new Fixture.TempDir();
        var m = dir.File("m.safetensors");
        var t = Run("train", "--data", "fashion-mnist:600", "--arch", "mlp:784-8-10:relu", "--epochs", "3", "--out", m, "--quiet");
        Assert.True(t.Code == 0, t.ToString());
        var e = Run("estimate", "--model", m, "--sgld-draws", "20", "--sgld-burnin", "5", "--sgld-batch-size", "100", "--out", dir.File("llc.json"), "--quiet");
        Assert.True(e.Code == 0, e.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("llc.json")));
        Assert.Equal(600, doc.RootElement.GetProperty("n").GetInt64());
    }
}
