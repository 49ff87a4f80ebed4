using LlcLab.Sampling;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

/// <summary>
/// λ̂ with the library's default <see cref="SgldOptions"/> against exact learning coefficients: λ = d/2 for a regular
/// model, Aoyagi's formula for reduced-rank regression / deep linear networks (two- and three-layer, ranks 0…2).
/// Data: n = 2000 noise-free samples x ~ N(0, I) from a seeded generator (w* is an exact global minimum).
/// Tolerance: 15% relative (devinterp's own suite uses 40%).
/// </summary>
public class GroundTruthTests(ITestOutputHelper output)
{
    public const int N = 2000;
    const double Tolerance = 0.15;

    void Check(GroundTruthProblem p, string name, long seed)
    {
        var r = Llc.Estimate(p.Model, p.X, p.Y, new SgldOptions { Seed = seed });
        double rel = (r.Mean - p.TrueLlc) / p.TrueLlc;
        output.WriteLine($"{name}: λ = {p.TrueLlc:F3}, {r}, relative error {rel:P1}");
        Assert.True(Math.Abs(rel) < Tolerance, $"{name}: λ̂ = {r.Mean:F3} ± {r.Std:F3} but λ = {p.TrueLlc:F3} ({rel:P1}).");
        Assert.DoesNotContain(r.Diagnostics.Warnings, w => w.Contains("below L(w*)") || w.Contains("negative"));
        Assert.Equal(0.0, r.InitLoss, 6);
    }

    [Fact]
    public void Regular_linear_regression_has_lambda_d_over_2()
    {
        using var p = LinearTruth.Regular(4, 3, N, seed: 1, CPU);
        Assert.Equal(7.5, p.TrueLlc);
        Check(p, "linear regression 4→3 with bias (d = 15)", 1);
    }

    [Theory]
    [InlineData(new long[] { 5, 3, 5 }, 0)]
    [InlineData(new long[] { 5, 3, 5 }, 2)]
    [InlineData(new long[] { 4, 3, 8 }, 1)]
    [InlineData(new long[] { 8, 3, 4 }, 0)]
    [InlineData(new long[] { 3, 4, 4, 3 }, 1)]
    [InlineData(new long[] { 6, 4, 3, 5 }, 2)]
    public void Deep_linear_networks_match_Aoyagi(long[] widths, int rank)
    {
        using var p = LinearTruth.DeepLinear(widths, rank, N, seed: widths.Sum() + rank, CPU);
        Check(p, $"dln:{string.Join("-", widths)} rank {rank}", 1);
    }
}
