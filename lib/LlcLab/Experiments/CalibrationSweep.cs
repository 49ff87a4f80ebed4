using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using TorchSharp;

namespace LlcLab.Experiments;

/// <summary>One (model, ε, γ) cell of a calibration sweep; <see cref="Result"/> is null when the chains diverged.</summary>
public sealed record SweepCell(string Model, double Lr, double Localization, LlcResult? Result, string? Failure)
{
    /// <summary>Mean λ̂ (NaN when diverged).</summary>
    public double Llc => Result?.Mean ?? double.NaN;
    /// <summary>Std of λ̂ across chains.</summary>
    public double Std => Result?.Std ?? double.NaN;
    /// <summary>Mean MALA acceptance probability of the SGLD proposals (NaN when not computed or diverged).</summary>
    public double Mala => Result?.Diagnostics.MalaAcceptance ?? double.NaN;
    /// <summary>Fraction of draws whose loss fell below L(w*) (still-training indicator).</summary>
    public double FractionBelow => Result?.Diagnostics.FractionBelowInitLoss ?? double.NaN;
    /// <summary>Split-R̂ across chains.</summary>
    public double RHat => Result?.Diagnostics.RHat ?? double.NaN;
    /// <summary>Stable under <see cref="CalibrationSweep.RuleText"/>: not diverged, λ̂ &gt; 0, MALA ≥ 0.9, &lt; 10% of draws below L(w*).</summary>
    public bool Stable => Result is not null && double.IsFinite(Llc) && Llc > 0 && Mala >= CalibrationSweep.MinMala && FractionBelow < 0.1;
}

/// <summary>The sweep over every model and the setting recommended by the stated rule (null when no cell qualifies).</summary>
public sealed record SweepResult(IReadOnlyList<SweepCell> Cells, (double Lr, double Localization)? Recommended, string Rule)
{
    /// <summary>The cell of <paramref name="model"/> at (ε, γ), or null.</summary>
    public SweepCell? Cell(string model, double lr, double localization) =>
        Cells.FirstOrDefault(c => c.Model == model && c.Lr == lr && c.Localization == localization);

    /// <summary>Whether (ε, γ) passes the rule on every model (stable and flat in ε).</summary>
    public bool Acceptable(double lr, double localization) => CalibrationSweep.Acceptable(Cells, lr, localization);
}

/// <summary>
/// ε × γ calibration of SGLD over several models that will be compared with one setting (e.g. a trained network and its
/// erased, re-minimised versions): devinterp's practice — MALA acceptance ≳ 0.9 and λ̂ flat in ε — required on every model.
/// Full-batch chains are recommended (<see cref="SgldOptions.BatchSize"/> = null): with minibatches the MALA ratio compares
/// losses on different batches and reads low at any ε.
/// </summary>
public static class CalibrationSweep
{
    /// <summary>Smallest accepted MALA acceptance (devinterp's guidance).</summary>
    public const double MinMala = 0.9;

    /// <summary>The recommendation rule, stated so a reader can check it against the heatmaps.</summary>
    public const string RuleText =
        "A cell (ε, γ) is acceptable when, on every model: no divergence, λ̂ > 0, MALA acceptance ≥ 0.9, < 10% of draws below L(w*), and λ̂ within " +
        "max(10%, 2 standard errors) of λ̂ at the next smaller ε for the same γ (flat in ε; the smallest ε has no such evidence). Recommend the largest " +
        "acceptable ε (fastest mixing), ties broken by the smallest γ (least localization bias).";

    /// <summary>Runs the grid on every model (each cell with <paramref name="baseOptions"/> except ε and γ; MALA on); divergences become failed cells.</summary>
    public static SweepResult Run(IReadOnlyList<(string Name, Network Model)> models, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs,
        IEnumerable<double> localizations, SgldOptions? baseOptions = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("Give at least one model to calibrate on.", nameof(models));
        var o = (baseOptions ?? new SgldOptions()) with { ComputeMala = true, Sampler = SamplerKind.Sgld, BoundingBox = null };
        var lrList = lrs.Distinct().Order().ToList();
        var gList = localizations.Distinct().Order().ToList();
        if (lrList.Count == 0 || gList.Count == 0) throw new ArgumentException("Give at least one step size and one localization to sweep.");
        var cells = new List<SweepCell>();
        foreach (var (name, model) in models)
            foreach (var g in gList)
                foreach (var e in lrList)
                {
                    try { cells.Add(new SweepCell(name, e, g, Llc.Estimate(model, x, y, o with { Lr = e, Localization = g }), null)); }
                    catch (SamplerDivergedException ex) { cells.Add(new SweepCell(name, e, g, null, ex.Message)); }
                }
        return new SweepResult(cells, Recommend(cells), RuleText);
    }

    /// <summary>Single-model convenience overload.</summary>
    public static SweepResult Run(Network model, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs, IEnumerable<double> localizations,
        SgldOptions? baseOptions = null, string name = "model") => Run([(name, model)], x, y, lrs, localizations, baseOptions);

    /// <summary>Whether (ε, γ) passes <see cref="RuleText"/> on every model present in <paramref name="cells"/>.</summary>
    public static bool Acceptable(IReadOnlyList<SweepCell> cells, double lr, double localization)
    {
        foreach (var model in cells.Select(c => c.Model).Distinct())
        {
            var row = cells.Where(c => c.Model == model && c.Localization == localization).OrderBy(c => c.Lr).ToList();
            int i = row.FindIndex(c => c.Lr == lr);
            if (i <= 0) return false;
            var (prev, cur) = (row[i - 1], row[i]);
            if (!prev.Stable || !cur.Stable) return false;
            int chains = cur.Result!.PerChain.Length;
            double se = Math.Sqrt((prev.Std * prev.Std + cur.Std * cur.Std) / Math.Max(chains, 1));
            if (Math.Abs(cur.Llc - prev.Llc) > Math.Max(0.1 * Math.Abs(prev.Llc), 2 * se)) return false;
        }
        return true;
    }

    /// <summary>Applies <see cref="RuleText"/> to a finished grid.</summary>
    public static (double Lr, double Localization)? Recommend(IReadOnlyList<SweepCell> cells)
    {
        var candidates = cells.Select(c => (c.Lr, c.Localization)).Distinct()
            .Where(k => Acceptable(cells, k.Lr, k.Localization))
            .OrderByDescending(k => k.Lr).ThenBy(k => k.Localization).ToList();
        return candidates.Count == 0 ? null : candidates[0];
    }

    /// <summary>Tidy rows per cell (model column = "<paramref name="model"/>/&lt;cell model&gt;"): "llc", "mala_acceptance",
    /// "fraction_below_init", "r_hat" and "diverged".</summary>
    public static IEnumerable<ResultRow> ToRows(SweepResult sweep, string experiment, string model)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        foreach (var c in sweep.Cells)
        {
            string m = $"{model}/{c.Model}";
            if (c.Result is not null)
            {
                yield return LlcRows.From(c.Result, experiment, m);
                yield return LlcRows.Metric(experiment, m, "mala_acceptance", c.Mala) with { Lr = c.Lr, Localization = c.Localization };
                yield return LlcRows.Metric(experiment, m, "fraction_below_init", c.FractionBelow) with { Lr = c.Lr, Localization = c.Localization };
                yield return LlcRows.Metric(experiment, m, "r_hat", c.RHat) with { Lr = c.Lr, Localization = c.Localization };
            }
            yield return LlcRows.Metric(experiment, m, "diverged", c.Result is null ? 1 : 0) with { Lr = c.Lr, Localization = c.Localization };
        }
    }
}
