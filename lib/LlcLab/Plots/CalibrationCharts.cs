using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>One cell of an ε × γ calibration sweep.</summary>
/// <param name="Lr">SGLD step size ε.</param>
/// <param name="Localization">Localization strength γ.</param>
/// <param name="Value">The statistic shown in the cell (λ̂, its spread, MALA acceptance, …); NaN = diverged.</param>
public sealed record CalibrationCell(double Lr, double Localization, double Value);

/// <summary>Heatmaps for SGLD hyperparameter calibration.</summary>
public static class CalibrationCharts
{
    /// <summary>
    /// ε × γ heatmap: x = step size ε (log-spaced labels), y = localization γ, colour = <paramref name="valueName"/>.
    /// Missing or diverged cells (NaN) are left blank. Read it by looking for a region where λ̂ is flat in ε
    /// (the estimate does not depend on the step size) and the chains did not diverge; the largest stable ε
    /// there gives the fastest mixing.
    /// </summary>
    public static GenericChart Heatmap(IEnumerable<CalibrationCell> cells, string valueName = "λ̂",
        string title = "Calibration: ε × γ")
    {
        ArgumentNullException.ThrowIfNull(cells);
        var c = cells.ToArray();
        if (c.Length == 0) throw new ArgumentException("No calibration cells to plot.", nameof(cells));
        var lrs = c.Select(q => q.Lr).Distinct().OrderBy(v => v).ToArray();
        var gammas = c.Select(q => q.Localization).Distinct().OrderBy(v => v).ToArray();
        var lookup = c.GroupBy(q => (q.Lr, q.Localization)).ToDictionary(g => g.Key, g => g.Last().Value);
        // z is indexed [row = γ][column = ε]; NaN cells are drawn empty by plotly.
        var z = gammas.Select(g => lrs.Select(e => lookup.TryGetValue((e, g), out var v) && double.IsFinite(v) ? v : double.NaN).ToArray()).ToArray();
        var xs = lrs.Select(e => e.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var ys = gammas.Select(g => g.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var chart = CChart.Heatmap<double, string, string, string>(z, X: xs, Y: ys, Name: valueName)
            .SetOnTraces("colorbar", ChartStyle.Obj(("title", ChartStyle.Obj(("text", valueName))), ("thickness", 16)))
            .SetOnTraces("hovertemplate", $"ε = %{{x}}<br>γ = %{{y}}<br>{valueName.Replace("%{", "% {")} = %{{z:.4~g}}<extra></extra>");
        return chart.WithTitles(title, "step size ε", "localization γ");
    }

    /// <summary>Grid overload: <paramref name="values"/>[i][j] is the value at γ = <paramref name="localizations"/>[i], ε = <paramref name="lrs"/>[j].</summary>
    public static GenericChart Heatmap(IReadOnlyList<double> lrs, IReadOnlyList<double> localizations, double[][] values,
        string valueName = "λ̂", string title = "Calibration: ε × γ")
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != localizations.Count || values.Any(r => r.Length != lrs.Count))
            throw new ArgumentException($"values must be [{localizations.Count} localizations][{lrs.Count} step sizes].", nameof(values));
        var cells = new List<CalibrationCell>();
        for (int i = 0; i < localizations.Count; i++)
            for (int j = 0; j < lrs.Count; j++)
                cells.Add(new CalibrationCell(lrs[j], localizations[i], values[i][j]));
        return Heatmap(cells, valueName, title);
    }
}
