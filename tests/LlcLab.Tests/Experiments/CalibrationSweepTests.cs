using LlcLab.Analysis;
using LlcLab.Protocols;
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
        Assert.Equal(new CalibrationSetting(lrs[1], 1.0, nb), sweep.Recommended);
        var rows = CalibrationSweep.ToRows(sweep, "cal", "m").ToList();
        Assert.Contains(rows, r => r.Metric == "mala_acceptance" && r.Model == "m/linear");
        Assert.Equal(3, rows.Count(r => r.Metric == "diverged"));
    }
}

public class LocalizationSensitivityTests
{
    [Fact]
    public void DifferenceOfTwoRegularModels_IsHalfTheirDimensionGap_AtEveryWeakLocalization_WhileStrongLocalizationShrinksBoth()
    {
        // mlp:4-3 (d = 15) and mlp:6-3 (d = 21): λ = d/2, Δ = 3 whenever γ ≪ nβ·curvature (≈ nβ here); at γ = 20·nβ the
        // localization term dominates every direction and pulls both λ̂ (and Δ) down — the case the notebooks must detect.
        const int n = 2000;
        double nb = SgldOptions.DefaultNBeta(n);
        using var a = LinearTruth.Regular(4, 3, n, seed: 5);
        using var b = LinearTruth.Regular(6, 3, n, seed: 6);
        var lrs = new[] { 0.025 / nb, 0.05 / nb };
        var gammas = new[] { 1.0, 10.0, 20 * nb };
        // Burn-in of several relaxation times 2/(εnβh) at the smaller ε: the rule requires agreeing chains (split-R̂ ≤ 1.1).
        var o = new SgldOptions { Chains = 4, Draws = 3000, BurnIn = 1000, Seed = 3 };
        var sa = CalibrationSweep.Run(a.Model, a.X, a.Y, lrs, gammas, o, name: "small");
        var sb = CalibrationSweep.Run(b.Model, b.X, b.Y, lrs, gammas, o, name: "large");
        var both = new SweepResult(sa.Cells.Concat(sb.Cells).ToList(), null, CalibrationSweep.RuleText);
        var s = LocalizationSensitivity.Compute(both, "small", "large", fallbackLr: lrs[1]);
        Assert.Equal(3, s.Points.Count);
        foreach (var p in s.Points.Take(2))
        {
            Assert.True(p.PassesRule, $"γ = {p.Localization}: expected the rule to accept ε = {p.Lr}; cells: " + string.Join(" | ", both.Cells.Select(c => $"{c.Model} ε {c.Lr:G3} γ {c.Localization:G3} λ̂ {c.Llc:F2}±{c.Std:F2} MALA {c.Mala:F3} below {c.FractionBelow:F3} R̂ {c.RHat:F3} stable {c.Stable}")));
            Assert.Equal(lrs[1], p.Lr);
            Assert.True(Math.Abs(p.Delta - 3) <= Math.Max(0.6, 3 * p.DeltaStandardError), $"γ = {p.Localization}: Δ = {p.Delta} ± {p.DeltaStandardError}, expected 3; {s}");
            Assert.InRange(p.LlcA, 7.5 * 0.85, 7.5 * 1.15);
        }
        var strong = s.Points[2];
        Assert.True(strong.LlcA < 0.5 * 7.5 && strong.LlcB < 0.5 * 10.5, $"strong γ: {strong}");
        Assert.True(s.LlcFoldA > 2 && s.DeltaRelativeSpread > 0.5, s.ToString());
        Assert.Throws<ArgumentException>(() => LocalizationSensitivity.Compute(both, "small", "nope", lrs[1]));
    }
}
