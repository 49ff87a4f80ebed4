namespace LlcLab.Plots;

/// <summary>
/// A named series of points with optional symmetric error half-widths (e.g. a CI half-width or a std across seeds),
/// optional point labels (printed when the chart is sparse, otherwise in the hover text) and optional validity flags:
/// a point whose flag is false failed validity (not at a minimum, R̂ or MALA out of range) and is drawn as a grey
/// open marker, apart from the valid points.
/// </summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y,
    IReadOnlyList<double>? Error = null, IReadOnlyList<string>? Labels = null, IReadOnlyList<bool>? Valid = null)
{
    internal void Validate()
    {
        if (X.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {X.Count} x values but {Y.Count} y values; they must match.");
        if (Error is not null && Error.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {Error.Count} error values but {Y.Count} points; pass one error per point or none.");
        if (Labels is not null && Labels.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {Labels.Count} labels but {Y.Count} points.");
        if (Valid is not null && Valid.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}': {Valid.Count} validity flags but {Y.Count} points; pass one flag per point or none.");
    }
}

/// <summary>A named set of bars over categories, with optional error half-widths and validity flags (one bar group per
/// <see cref="BarSeries"/>; a bar that failed validity is drawn as an open grey outline).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<string> Categories, IReadOnlyList<double> Values,
    IReadOnlyList<double>? Error = null, IReadOnlyList<bool>? Valid = null)
{
    internal void Validate()
    {
        if (Categories.Count != Values.Count)
            throw new ArgumentException($"Bars '{Name}': {Categories.Count} categories but {Values.Count} values; they must match.");
        if (Error is not null && Error.Count != Values.Count)
            throw new ArgumentException($"Bars '{Name}': {Error.Count} error values but {Values.Count} bars.");
        if (Valid is not null && Valid.Count != Values.Count)
            throw new ArgumentException($"Bars '{Name}': {Valid.Count} validity flags but {Values.Count} bars.");
    }
}
