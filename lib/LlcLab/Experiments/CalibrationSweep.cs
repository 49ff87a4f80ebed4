using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using TorchSharp;

namespace LlcLab.Experiments;

/// <summary>One (ε, γ) setting of a calibration sweep; <see cref="Result"/> is null when the chains diverged.</summary>
public sealed record SweepCell(double Lr, double Localization, LlcResult? Result, string? Failure)
{
    /// <summary>Mean λ̂ (NaN when diverged).</summary>
    public double Llc => Result?.Mean ?? double.NaN;
    /// <summary>Std of λ̂ across chains.</summary>
    public double Std => Result?.Std ?? double.NaN;
    /// <summary>Fraction of draws whose loss fell below L(w*) (still-training indicator).</summary>
    public double FractionBelow => Result?.Diagnostics.FractionBelowInitLoss ?? double.NaN;
    /// <summary>Split-R̂ across chains.</summary>
    public double RHat => Result?.Diagnostics.RHat ?? double.NaN;
    /// <summary>Whether this cell counts as stable under <see cref="CalibrationSweep.Recommend"/>'s rule.</summary>
    public bool Stable => Result is not null && double.IsFinite(Llc) && Llc > 0 && FractionBelow < 0.1;
}

/// <summary>The sweep and the setting recommended by the stated rule.</summary>
public sealed record SweepResult(IReadOnlyList<SweepCell> Cells, SweepCell? Recommended, string Rule);

/// <summary>
/// ε × γ calibration of SGLD (devinterp's recommended practice): estimate λ̂ over a grid, then pick the
/// largest step size that is stable and in the flat region of λ̂(ε).
/// </summary>
public static class CalibrationSweep
{
    /// <summary>The recommendation rule, stated so a reader can check it against the heatmap.</summary>
    public const string RuleText =
        "Stable = no divergence, λ̂ > 0 and < 10% of draws below L(w*). Among stable cells, for each γ take the largest ε " +
        "whose λ̂ is within 15% of λ̂ at the next smaller ε (flat in ε); recommend the one with the smallest γ " +
        "(the weakest localization that still gives a flat, stable estimate).";

    /// <summary>Runs the grid (every cell with <paramref name="baseOptions"/> except ε and γ); divergences become failed cells.</summary>
    public static SweepResult Run(Network model, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs, IEnumerable<double> localizations,
        SgldOptions? baseOptions = null)
    {
        var o = baseOptions ?? new SgldOptions();
        var cells = new List<SweepCell>();
        foreach (var g in localizations.Distinct().Order())
            foreach (var e in lrs.Distinct().Order())
            {
                try { cells.Add(new SweepCell(e, g, Llc.Estimate(model, x, y, o with { Lr = e, Localization = g }), null)); }
                catch (SamplerDivergedException ex) { cells.Add(new SweepCell(e, g, null, ex.Message)); }
            }
        return new SweepResult(cells, Recommend(cells), RuleText);
    }

    /// <summary>Applies <see cref="RuleText"/> to a finished grid.</summary>
    public static SweepCell? Recommend(IReadOnlyList<SweepCell> cells)
    {
        foreach (var g in cells.Select(c => c.Localization).Distinct().Order())
        {
            var row = cells.Where(c => c.Localization == g).OrderBy(c => c.Lr).ToList();
            SweepCell? best = null;
            for (int i = 1; i < row.Count; i++)
            {
                var prev = row[i - 1]; var cur = row[i];
                if (prev.Stable && cur.Stable && Math.Abs(cur.Llc - prev.Llc) <= 0.15 * Math.Abs(prev.Llc)) best = cur;
            }
            if (best is not null) return best;
        }
        return null;
    }

    /// <summary>Tidy rows (metric "llc", plus "fraction_below_init" and "diverged").</summary>
    public static IEnumerable<ResultRow> ToRows(SweepResult sweep, string experiment, string model)
    {
        foreach (var c in sweep.Cells)
        {
            if (c.Result is not null)
            {
                yield return LlcRows.From(c.Result, experiment, model);
                yield return LlcRows.Metric(experiment, model, "fraction_below_init", c.FractionBelow) with { Lr = c.Lr, Localization = c.Localization };
            }
            yield return LlcRows.Metric(experiment, model, "diverged", c.Result is null ? 1 : 0) with { Lr = c.Lr, Localization = c.Localization };
        }
    }
}
