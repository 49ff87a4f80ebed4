using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class CalibrationTests
{
    [Fact]
    public void Sweep_returns_tidy_cells_grids_and_a_stable_flat_recommendation()
    {
        using var p = LinearTruth.Regular(3, 2, 1000, seed: 8, CPU);
        double nb = SgldOptions.DefaultNBeta(1000);
        double[] lrs = [0.03 / nb, 0.1 / nb, 0.3 / nb, 10 / nb];
        var result = Calibration.Sweep(p.Model, p.X, p.Y, lrs, [1.0, 10.0], new SgldOptions { Draws = 400, BurnIn = 200, Chains = 4 });
        Assert.Equal(8, result.Cells.Count);
        Assert.All(result.Cells.Where(r => r.Lr == lrs[3]), r => Assert.True(r.Diverged));
        Assert.NotNull(result.Recommended);
        var rec = result.Recommended!;
        Assert.True(rec.Lr < lrs[3]);
        Assert.True(result.Acceptable(rec.Lr, rec.Localization));
        var cell = result.Cell("model", rec.Lr, rec.Localization)!;
        Assert.True(cell.Stable);
        Assert.InRange(cell.Llc, p.TrueLlc * 0.7, p.TrueLlc * 1.3);
        Assert.False(result.Acceptable(lrs[0], rec.Localization)); // the smallest ε has no flatness evidence
        var grid = result.Grid("llc");
        Assert.Equal(4, grid.GetLength(0));
        Assert.Equal(2, grid.GetLength(1));
        Assert.True(double.IsNaN(grid[3, 0]));
        var csv = result.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, csv.Length);
        Assert.Single(csv, l => l.Split(',')[11] == "true");
        Assert.Contains("largest acceptable ε", result.Rule);
    }

    [Fact]
    public void The_rule_uses_the_shared_thresholds()
    {
        Assert.Contains($"split-R̂ ≤ {DiagnosticThresholds.MaxRHat}", Calibration.RuleText);
        Assert.Contains($"MALA acceptance ≥ {DiagnosticThresholds.MinMalaAcceptance}", Calibration.RuleText);
        Assert.Equal(DiagnosticThresholds.MaxFractionBelowFullBatch, DiagnosticThresholds.MaxFractionBelowInitLoss(null, 100));
        Assert.Equal(DiagnosticThresholds.MaxFractionBelowMinibatch, DiagnosticThresholds.MaxFractionBelowInitLoss(10, 100));
        Assert.True(DiagnosticThresholds.Flat(10, 10.9, 0.01));
        Assert.False(DiagnosticThresholds.Flat(10, 11.5, 0.1));
        Assert.True(DiagnosticThresholds.Flat(10, 11.5, 1.0)); // within 2 standard errors
    }
}
