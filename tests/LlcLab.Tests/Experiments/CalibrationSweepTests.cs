using LlcLab.Experiments;
using LlcLab.Sampling;
using Xunit;

namespace LlcLab.Tests.Experiments;

public class CalibrationSweepTests
{
    [Fact]
    public void Sweep_RejectsAStepSizeThatBreaksMala_AndRecommendsAFlatStableOne()
    {
        // Regular linear regression (λ = d/2 = 7.5): curvature ≈ 1 per direction, so ε·nβ ≳ 1 gives MALA acceptance far below 0.9
        // (and diverges near 4), while ε·nβ ≈ 0.025–0.05 is stable and flat.
        using var p = LinearTruth.Regular(4, 3, 2000, seed: 2);
        double nb = SgldOptions.DefaultNBeta(2000);
        var lrs = new[] { 0.025 / nb, 0.05 / nb, 1.5 / nb };
        var o = new SgldOptions { Chains = 2, Draws = 400, BurnIn = 200, Localization = 1 };
        var sweep = CalibrationSweep.Run(p.Model, p.X, p.Y, lrs, new[] { 1.0 }, o, name: "linear");
        Assert.Equal(3, sweep.Cells.Count);
        var big = sweep.Cell("linear", lrs[2], 1)!;
        Assert.False(big.Stable, $"ε·nβ = 1.5 should fail (MALA {big.Mala}, diverged {big.Failure is not null})");
        Assert.False(sweep.Acceptable(lrs[2], 1));
        Assert.False(sweep.Acceptable(lrs[0], 1));   // smallest ε: no flatness evidence
        Assert.True(sweep.Cell("linear", lrs[1], 1)!.Mala >= 0.9);
        Assert.Equal((lrs[1], 1.0), sweep.Recommended);
        var rows = CalibrationSweep.ToRows(sweep, "cal", "m").ToList();
        Assert.Contains(rows, r => r.Metric == "mala_acceptance" && r.Model == "m/linear");
        Assert.Equal(3, rows.Count(r => r.Metric == "diverged"));
    }
}
