using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class DiagnosticsTests
{
    static double[][] Iid(int chains, int n, Func<int, double> shift, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, chains).Select(c => Enumerable.Range(0, n).Select(_ =>
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            return shift(c) + Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }).ToArray()).ToArray();
    }

    [Fact]
    public void Rhat_is_one_for_agreeing_chains_and_large_for_shifted_ones()
    {
        Assert.InRange(ChainDiagnostics.SplitRHat(Iid(4, 1000, _ => 0, 1)), 0.99, 1.01);
        Assert.True(ChainDiagnostics.SplitRHat(Iid(4, 1000, c => c, 2)) > 1.3);
    }

    [Fact]
    public void Ess_of_independent_draws_is_about_their_number_and_smaller_when_correlated()
    {
        var iid = Iid(4, 1000, _ => 0, 3);
        Assert.InRange(ChainDiagnostics.Ess(iid), 3000, 5000);
        // AR(1) with φ = 0.9: ESS ≈ N(1 − φ)/(1 + φ) ≈ 4000/19 ≈ 210.
        var ar = iid.Select(c => { var r = new double[c.Length]; for (int i = 0; i < c.Length; i++) r[i] = (i > 0 ? 0.9 * r[i - 1] : 0) + c[i]; return r; }).ToArray();
        Assert.InRange(ChainDiagnostics.Ess(ar), 100, 400);
    }

    [Fact]
    public void Mala_acceptance_drops_as_the_step_size_grows()
    {
        using var p = LinearTruth.Regular(4, 3, 1000, seed: 3, CPU);
        var o = new SgldOptions { Draws = 300, BurnIn = 100, Chains = 2 };
        double nb = SgldOptions.DefaultNBeta(1000);
        var small = Llc.Estimate(p.Model, p.X, p.Y, o with { Lr = 0.01 / nb });
        var large = Llc.Estimate(p.Model, p.X, p.Y, o with { Lr = 1.0 / nb });
        Assert.InRange(small.Diagnostics.MalaAcceptance!.Value, 0.97, 1.0);
        Assert.True(large.Diagnostics.MalaAcceptance < small.Diagnostics.MalaAcceptance - 0.1,
            $"MALA {large.Diagnostics.MalaAcceptance:F3} at ε·nβ = 1 vs {small.Diagnostics.MalaAcceptance:F3} at 0.01");
        Assert.Contains(large.Diagnostics.Warnings, w => w.Contains("MALA"));
    }

    [Fact]
    public void A_point_that_is_not_a_minimum_is_flagged_as_still_training()
    {
        using var p = LinearTruth.Regular(4, 3, 1000, seed: 4, CPU);
        using (no_grad()) foreach (var t in p.Model.ParameterTensors()) t.add_(0.3);
        var r = Llc.Estimate(p.Model, p.X, p.Y, new SgldOptions { Draws = 200, BurnIn = 0, Chains = 2 });
        Assert.True(r.Diagnostics.FractionBelowInitLoss > 0.5);
        Assert.Contains(r.Diagnostics.Warnings, w => w.Contains("below L(w*)"));
    }

    [Fact]
    public void Divergence_names_the_chain_the_draw_and_a_smaller_step()
    {
        using var p = LinearTruth.Regular(4, 3, 1000, seed: 6, CPU);
        var e = Assert.Throws<SamplerDivergedException>(() =>
            Llc.Estimate(p.Model, p.X, p.Y, new SgldOptions { Lr = 0.1, Draws = 200, BurnIn = 0, Chains = 2 }));
        Assert.InRange(e.Chain, 0, 1);
        Assert.InRange(e.Draw, 0, 199);
        Assert.Equal(0.01, e.SuggestedLr, 10);
        Assert.Contains("--lr 0.01", e.Message);
        Assert.Contains($"chain {e.Chain}", e.Message);
    }

    [Theory]
    [InlineData(SamplerKind.RmspropSgld)]
    [InlineData(SamplerKind.Sgnht)]
    public void Alternative_samplers_give_sensible_estimates(SamplerKind kind)
    {
        using var p = LinearTruth.Regular(4, 3, 1000, seed: 7, CPU);
        var r = Llc.Estimate(p.Model, p.X, p.Y, new SgldOptions { Sampler = kind, Draws = 1500, BurnIn = 500, Chains = 4, Seed = 2 });
        Assert.NotNull(r.Diagnostics.MalaAcceptance);   // MALA is an observer: every update rule is scored
        Assert.InRange(r.Diagnostics.MalaAcceptance!.Value, 0, 1);
        Assert.InRange(r.Mean, p.TrueLlc * 0.5, p.TrueLlc * 1.5);
    }
}
