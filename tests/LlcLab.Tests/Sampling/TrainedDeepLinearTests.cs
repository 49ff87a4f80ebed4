using System.Text.Json;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

/// <summary>
/// λ̂ at the documented default <see cref="SgldOptions"/> on deep linear networks trained to a minimum <em>outside</em> this
/// project: PyTorch, from a small initialisation, Adam then L-BFGS on noise-free data from a rank-r teacher T
/// (<c>Fixtures/DeepLinear/make_dln_fixtures.py</c>, which documents how to regenerate them). Unlike
/// <see cref="GroundTruthTests"/>, whose w* is constructed at the most singular point of the fibre, these weights are
/// wherever gradient descent stopped (their spare singular values are 0.01–0.2, not 0). The data are drawn afresh:
/// x ~ N(0, I), n = 10⁴, y = T·x — the trained product equals T to ~1e-8, so the weights minimise this loss too.
/// Tolerance: 10 % of Aoyagi's λ (<see cref="AoyagiFormula.DeepLinear"/>).
/// </summary>
public class TrainedDeepLinearTests(ITestOutputHelper output)
{
    const int N = 10_000;
    const double Tolerance = 0.10;

    [Theory]
    [InlineData("dln-5-3-5-r1")]
    [InlineData("dln-4-3-8-r2")]
    [InlineData("dln-6-4-3-5-r2")]
    [InlineData("dln-4-5-4-3-4-r1")]
    public void Pytorch_trained_deep_linear_networks_match_Aoyagi_at_the_default_settings(string name)
    {
        var path = IO.Fixture.Path("DeepLinear", name + ".safetensors");
        var meta = SafeTensors.ReadMetadata(path);
        using var net = Network.Load(path);
        var widths = meta[Network.SpecMetadataKey]["dln:".Length..].Split('-').Select(long.Parse).ToArray();
        int rank = int.Parse(meta["llclab.rank"], System.Globalization.CultureInfo.InvariantCulture);
        var rows = JsonSerializer.Deserialize<double[][]>(meta["llclab.teacher"])!;
        using var teacher = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]).to(ScalarType.Float32);
        using var g = Seeding.Generator(7);
        using var x = randn([N, widths[0]], generator: g);
        using var y = x.matmul(teacher.t());
        double lambda = AoyagiFormula.DeepLinear(widths, rank);

        var r = Llc.Estimate(net, x, y, new SgldOptions { Seed = 1 });
        double rel = (r.Mean - lambda) / lambda;
        output.WriteLine($"{name}: λ = {lambda:F3}, {r}, relative error {rel:P1}; trained: {meta["llclab.train"]}");
        Assert.True(Math.Abs(rel) < Tolerance, $"{name}: λ̂ = {r.Mean:F3} ± {r.Std:F3} but λ = {lambda:F3} ({rel:P1}).");
    }
}
