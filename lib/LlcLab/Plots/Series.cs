namespace LlcLab.Plots;

/// <summary>
/// A named series of points with optional symmetric error half-widths (e.g. std or a CI half-width
/// across seeds) and optional point labels. The plain-data input of the line, scatter and bar charts.
/// </summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y,
    IReadOnlyList<double>? Error = null, IReadOnlyList<string>? Labels = null)
{
    internal void Validate()
    {
        if (X.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {X.Count} x values but {Y.Count} y values; they must match.");
        if (Error is not null && Error.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {Error.Count} error values but {Y.Count} points; pass one error per point or none.");
        if (Labels is not null && Labels.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {Labels.Count} labels but {Y.Count} points.");
    }
}

/// <summary>A named set of bars over categories, with optional error half-widths (one bar group per <see cref="BarSeries"/>).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<string> Categories, IReadOnlyList<double> Values,
    IReadOnlyList<double>? Error = null)
{
    internal void Validate()
    {
        if (Categories.Count != Values.Count)
            throw new ArgumentException($"Bars '{Name}': {Categories.Count} categories but {Values.Count} values; they must match.");
        if (Error is not null && Error.Count != Values.Count)
            throw new ArgumentException($"Bars '{Name}': {Error.Count} error values but {Values.Count} bars.");
    }
}
