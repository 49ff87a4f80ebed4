using LlcLab.Erasure;
using LlcLab.Analysis;
using LlcLab.Protocols;
using LlcLab.IO;
using LlcLab.Models;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

public class ProtocolPartsTests
{
    [Fact]
    public void FoldingAnEraser_GivesTheSameFunctionAsInsertingIt()
    {
        using var net = Network.Create("mlp:6-8-5-3:relu", seed: 4);
        using var g = LlcLab.Runtime.Seeding.Generator(1);
        var x = randn([200, 6], generator: g);
        var h = net.Activations("h1", x);
        var z = h[.., 0].gt(h[.., 0].median()).to(ScalarType.Int64);
        using var eraser = Leace.Fit(h, z);
        var (m, c) = eraser.AffineForm();
        using var inserted = net.WithFixedAffine("h1", m, c);
        using var folded = eraser.FoldInto(net, "h1");
        var a = inserted.Forward(x);
        var b = folded.Forward(x);
        Assert.True((a - b).abs().max().item<float>() < 1e-4f, "folded and inserted outputs differ");
        Assert.True((a - net.Forward(x)).abs().max().item<float>() > 1e-3f, "the eraser should change the function");
        Assert.Equal(net.ParameterCount, folded.ParameterCount);
    }

    [Fact]
    public void Delta_PairsBySeed()
    {
        var t = new ResultsTable();
        foreach (var (seed, before, after) in new[] { (0L, 10.0, 8.0), (1L, 20.0, 19.0), (2L, 15.0, 12.0) })
        {
            t.Add(LlcRows.Metric("e", "m", "llc", before, "none", seed, 0));
            t.Add(LlcRows.Metric("e", "m", "llc", after, "leace", seed, 100));
        }
        var r = new ExperimentResult("e", t);
        var d = r.Delta("llc", ("none", 0), ("leace", 100));
        Assert.Equal(3, d.N);
        Assert.Equal(-2.0, d.Mean, 12);            // mean of −2, −1, −3
        Assert.Equal(15.0, r.Stat("llc", "none").Mean, 12);
        Assert.Throws<InvalidOperationException>(() => r.Stat("accuracy"));
    }

    [Fact]
    public void Probe_SeparableConceptIsDecodable_NoiseIsNot()
    {
        using var g = LlcLab.Runtime.Seeding.Generator(2);
        var x = randn([600, 5], generator: g);
        var z = x[.., 2].gt(0).to(ScalarType.Int64);
        var s = Probe.HeldOut(x, z, seed: 1);
        Assert.True(s.Accuracy > 0.95, $"separable concept: {s.Accuracy}");
        var noise = randint(2, [600], generator: g, dtype: ScalarType.Int64);
        var n = Probe.HeldOut(x, noise, seed: 1);
        Assert.InRange(n.Accuracy, 0.35, 0.65);
        Assert.InRange(n.Chance, 0.5, 0.6);
    }

    [Fact]
    public void SyntheticErasure_LeaceRemovesTheConceptWithTheSmallestEdit()
    {
        var data = ErasureComparison.Synthetic(n: 3000, dim: 8, seed: 5);
        var o = ErasureComparison.Run(data.X, data.Z, new[] { "leace", "orth" }, seed: 0, trueDirection: data.Direction);
        var leace = o.Single(q => q.Method == "leace");
        var orth = o.Single(q => q.Method == "orth");
        Assert.True(leace.ProbeAccuracyBefore > 0.6);
        Assert.True(leace.ProbeAccuracyAfter < 0.56, $"after LEACE {leace.ProbeAccuracyAfter}");
        Assert.True(leace.MeanSquaredEdit < orth.MeanSquaredEdit);
    }

    [Fact]
    public void SavedResults_InFullModeNamesTheNotebookToRunFirst()
    {
        var dir = Directory.CreateTempSubdirectory("llclab-saved-");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => SavedResults.Load(ArchitectureSweepExperiment.Name, quick: false, folder: dir.FullName));
            Assert.Contains("05-rq3-architectures-and-sizes.ipynb", e.Message);
            var t = new ResultsTable();
            t.Add(LlcRows.Metric(ArchitectureSweepExperiment.Name, "mlp", "parameters", 10, "none", 0, 0));
            t.WriteCsv(Path.Combine(dir.FullName, "05-rq3-architectures-and-sizes.csv"));
            Assert.Single(SavedResults.Load(ArchitectureSweepExperiment.Name, quick: false, folder: dir.FullName).Table);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
