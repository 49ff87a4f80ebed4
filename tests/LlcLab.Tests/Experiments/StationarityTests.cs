using LlcLab.Data;
using LlcLab.Analysis;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

public class StationarityTests
{
    static (Network Net, Tensor X, Tensor Y) Classifier(long seed)
    {
        var net = Network.Create("mlp:6-16-3:relu", seed);
        using var g = LlcLab.Runtime.Seeding.Generator(seed + 10);
        var x = randn([400, 6], generator: g);
        var y = x[.., 0].gt(0.5).to(ScalarType.Int64) + x[.., 1].gt(0).to(ScalarType.Int64);
        return (net, x, y);
    }

    [Fact]
    public void BiasBound_IsNBetaGradSquaredOverTwoGamma_AndTargetInvertsIt()
    {
        // (nβ‖g‖)²/(2γ) with nβ = 200, ‖g‖ = 0.05, γ = 100 → 100/200 = 0.5.
        Assert.Equal(0.5, Stationarity.BiasBound(0.05, 200, 100), 12);
        double target = Stationarity.GradNormTarget(200, 100, 0.5);
        Assert.Equal(0.05, target, 12);
        Assert.True(double.IsPositiveInfinity(Stationarity.BiasBound(0.01, 200, 0)));
    }

    [Fact]
    public void FineTuneToMinimum_ReachesTheGradientTarget_AndReportsIt()
    {
        var (net, x, y) = Classifier(3);
        using var _ = net;
        var sgld = new SgldOptions { Localization = 100 };
        double nb = sgld.ResolveNBeta(x.shape[0]);
        double g0 = Stationarity.GradNorm(net, x, y);
        double target = Stationarity.GradNormTarget(nb, 100, 0.25);
        Assert.True(g0 > target, $"an untrained network should be far from a minimum (‖g‖ = {g0}, target {target})");
        var ft = Stationarity.FineTuneToMinimum(net, x, y, sgld, tolerance: 0.25, maxSteps: 5000, lr: 1e-2);
        Assert.True(ft.Converged, $"not converged: {ft}");
        Assert.True(ft.GradNormAfter <= target * 1.0001, $"‖g‖ after = {ft.GradNormAfter}, target {target}");
        Assert.Equal(Stationarity.GradNorm(net, x, y), ft.GradNormAfter, 5);
        Assert.True(ft.LossAfter < ft.LossBefore);
        Assert.True(ft.Steps > 0);
    }

    [Fact]
    public void FineTuneToMinimum_StopsAtTheCap_AndSaysItDidNotConverge()
    {
        var (net, x, y) = Classifier(5);
        using var _ = net;
        var ft = Stationarity.FineTuneToMinimum(net, x, y, new SgldOptions { Localization = 100 }, tolerance: 1e-6, maxSteps: 3);
        Assert.Equal(3, ft.Steps);
        Assert.False(ft.Converged);
    }

    [Fact]
    public void Validity_FlagsAnUntrainedNetwork_AndPassesAReMinimisedOne()
    {
        var (net, x, y) = Classifier(7);
        using var _ = net;
        var sgld = new SgldOptions { Lr = 1e-3, Localization = 100, Chains = 2, Draws = 100, BurnIn = 50 };
        var before = Llc.Estimate(net, x, y, sgld);
        double b0 = Stationarity.BiasBound(Stationarity.GradNorm(net, x, y), before.NBeta, 100);
        Assert.False(LlcValidity.AtMinimum(before, b0), $"untrained network passed: λ̂ = {before.Mean}, bound {b0}");
        Stationarity.FineTuneToMinimum(net, x, y, sgld, tolerance: 0.25, maxSteps: 5000, lr: 1e-2);
        var after = Llc.Estimate(net, x, y, sgld);
        double g = Stationarity.GradNorm(net, x, y);
        var rows = LlcRows.Validity(after, g, "e", "m", "p", 0, 1).ToList();
        Assert.Equal(new[] { "llc_valid", "llc_grad_bias_bound", "llc_strict_valid" }, rows.Take(3).Select(r => r.Metric));
        Assert.True(rows[1].Value <= 0.25 * 1.001, $"bound {rows[1].Value}");
        var verdict = LlcValidity.Check(after, rows[1].Value);
        Assert.Equal(LlcValidity.AtMinimum(after, rows[1].Value) ? 1 : 0, rows[0].Value);
        Assert.Equal(verdict.Valid ? 1 : 0, rows[2].Value);
        Assert.Equal(verdict.Checks.Select(c => "llc_check_" + c.Name), rows.Skip(3).Select(r => r.Metric));
        Assert.True(after.Mean > 0 && rows[0].Value == 1, $"re-minimised network should be at a minimum: λ̂ = {after.Mean}, below {after.Diagnostics.FractionBelowInitLoss}");
    }

    [Fact]
    public void Validity_includes_R_hat_and_MALA_and_names_the_failed_check()
    {
        var (net, x, y) = Classifier(7);
        using var _ = net;
        Stationarity.FineTuneToMinimum(net, x, y, new SgldOptions { Localization = 100 }, tolerance: 0.25, maxSteps: 5000, lr: 1e-2);
        var r = Llc.Estimate(net, x, y, new SgldOptions { Lr = 1e-3, Localization = 100, Chains = 2, Draws = 100, BurnIn = 50, ComputeMala = true });
        var healthy = r with { Mean = 3, Diagnostics = r.Diagnostics with { RHat = 1.02, MalaAcceptance = 0.97, FractionBelowInitLoss = 0 } };
        Assert.True(LlcValidity.IsValid(healthy, 0.1));
        Assert.Equal("valid", LlcValidity.Check(healthy, 0.1).Describe());
        var badRHat = healthy with { Diagnostics = healthy.Diagnostics with { RHat = 1.3 } };
        var v = LlcValidity.Check(badRHat, 0.1);
        Assert.False(v.Valid);
        Assert.True(v.AtMinimum, "R̂ is sampler health, not the minimum check");
        Assert.Equal(new[] { LlcCheck.RHat }, v.Failed.Select(c => c.Check));
        Assert.Contains("r_hat 1.3 > 1.1", v.Describe());
        var badMala = healthy with { Diagnostics = healthy.Diagnostics with { MalaAcceptance = 0.85 } };
        Assert.Equal(new[] { LlcCheck.Mala }, LlcValidity.Check(badMala, 0.1).Failed.Select(c => c.Check));
        Assert.Equal(LlcValidity.MinMalaAcceptance, LlcValidity.Check(badMala, 0.1).Failed.Single().Limit);
        // Not computed = not checked; one chain has no R̂.
        Assert.True(LlcValidity.IsValid(healthy with { Diagnostics = healthy.Diagnostics with { MalaAcceptance = null } }, 0.1));
        Assert.DoesNotContain(LlcCheck.RHat, LlcValidity.Check(healthy with { PerChain = [3.0] }, 0.1).Checks.Select(c => c.Check));
        // Exclusion counts by check.
        var table = new LlcLab.IO.ResultsTable();
        foreach (var (res, seed) in new[] { (healthy, 0L), (badRHat, 1L), (badMala, 2L), (badRHat with { Mean = -1 }, 3L) })
            table.AddRange(LlcRows.Validity(res, 0, "e", "m", "p", seed));
        var ex = new ExperimentResult("e", table).Exclusions();
        Assert.Equal(4, ex.Checked);
        Assert.Equal(3, ex.Excluded);
        Assert.Equal(2, ex.FailedByCheck["r_hat"]);
        Assert.Equal(1, ex.FailedByCheck["mala"]);
        Assert.Equal(1, ex.FailedByCheck["positive_lambda"]);
        Assert.Equal("llc: 3 of 4 excluded (positive_lambda 1, r_hat 2, mala 1)", ex.ToString());
    }

    [Fact]
    public void DeltaValid_UsesOnlySeedsValidAtBothStages_AndCountsTheRest()
    {
        var t = new ResultsTable();
        foreach (var (seed, before, after, okAfter) in new[] { (0L, 10.0, 8.0, true), (1L, 20.0, -5.0, false), (2L, 15.0, 12.0, true) })
        {
            t.Add(LlcRows.Metric("e", "m", "llc", before, "none", seed, 0));
            t.Add(LlcRows.Metric("e", "m", "llc_valid", 1, "none", seed, 0));
            t.Add(LlcRows.Metric("e", "m", "llc", after, "x", seed, 100));
            t.Add(LlcRows.Metric("e", "m", "llc_valid", okAfter ? 1 : 0, "x", seed, 100));
        }
        var r = new ExperimentResult("e", t);
        var (d, used, excluded) = r.DeltaValid("llc", ("none", 0), ("x", 100));
        Assert.NotNull(d);
        Assert.Equal(2, used);
        Assert.Equal(1, excluded);
        Assert.Equal(-2.5, d!.Mean, 10);   // (−2 − 3)/2
        Assert.Equal((1, 6), r.ValidityCount("llc"));
    }
}
