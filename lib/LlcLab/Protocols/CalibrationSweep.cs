using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using TorchSharp;

namespace LlcLab.Protocols;

/// <summary>
/// The calibration sweep as the notebooks call it: <see cref="Run(IReadOnlyList{ValueTuple{string, Network}}, torch.Tensor, torch.Tensor, IEnumerable{double}, IEnumerable{double}, SgldOptions?)"/>
/// forwards to <see cref="Calibration.Sweep(IReadOnlyList{ValueTuple{string, Network}}, torch.Tensor, torch.Tensor, IEnumerable{double}, IEnumerable{double}, SgldOptions?, IEnumerable{double}?, LossKind?)"/>
/// (the one calibration module and rule); <see cref="ToRows"/> turns a sweep into tidy result rows.
/// </summary>
public static class CalibrationSweep
{
    /// <summary>The rule (<see cref="Calibration.RuleText"/>).</summary>
    public static string RuleText => Calibration.RuleText;

    /// <summary>Forwards to <see cref="Calibration.Sweep(IReadOnlyList{ValueTuple{string, Network}}, torch.Tensor, torch.Tensor, IEnumerable{double}, IEnumerable{double}, SgldOptions?, IEnumerable{double}?, LossKind?)"/>.</summary>
    public static SweepResult Run(IReadOnlyList<(string Name, Network Model)> models, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs,
        IEnumerable<double> localizations, SgldOptions? baseOptions = null) => Calibration.Sweep(models, x, y, lrs, localizations, baseOptions);

    /// <summary>Single-model convenience overload.</summary>
    public static SweepResult Run(Network model, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs, IEnumerable<double> localizations,
        SgldOptions? baseOptions = null, string name = "model") => Run([(name, model)], x, y, lrs, localizations, baseOptions);

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
