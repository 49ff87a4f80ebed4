using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class CalibrationTests
{
    [Fact]
    public void Sweep_returns_a_tidy_table_grids_and_a_stable_recommendation()
    {
        using var p = LinearTruth.Regular(3, 2, 1000, seed: 8, CPU);
        double nb = SgldOptions.DefaultNBeta(1000);
        double[] lrs = [0.03 / nb, 0.1 / nb, 0.3 / nb, 10 / nb];
        var result = Calibration.Sweep(p.Model, p.X, p.Y, lrs, [1.0, 10.0], new SgldOptions { Draws = 400, BurnIn = 200, Chains = 4 });
        Assert.Equal(8, result.Rows.Count);
        Assert.All(result.Rows.Where(r => r.Lr == lrs[3]), r => Assert.True(r.Diverged));
        Assert.NotNull(result.Recommended);
        Assert.True(result.Recommended!.Stable);
        Assert.True(result.Recommended.Lr < lrs[3]);
        Assert.InRange(result.Recommended.LlcMean, p.TrueLlc * 0.7, p.TrueLlc * 1.3);
        var grid = result.Grid("llc");
        Assert.Equal(4, grid.GetLength(0));
        Assert.Equal(2, grid.GetLength(1));
        Assert.True(double.IsNaN(grid[3, 0]));
        var csv = result.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, csv.Length);
        Assert.Single(csv, l => l.Contains(",true,", StringComparison.Ordinal) && l.Split(',')[10] == "true");
        Assert.Contains("largest stable ε", result.Rule);
    }
}
