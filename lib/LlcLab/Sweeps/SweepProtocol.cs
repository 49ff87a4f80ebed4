using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// Typed base of <see cref="ISweepProtocol"/>: a protocol states its configuration and cell records and how one expands
/// into the other; JSON parsing, canonical forms and validation are done here once.
/// </summary>
/// <typeparam name="TConfig">The grid's configuration record (what <c>--config</c> files hold).</typeparam>
/// <typeparam name="TCell">One cell's complete input record (seed included).</typeparam>
public abstract class SweepProtocol<TConfig, TCell> : ISweepProtocol where TConfig : class where TCell : class
{
    public abstract string Name { get; }
    public abstract string Experiment { get; }
    public abstract string Description { get; }

    /// <summary>The default configuration.</summary>
    protected abstract TConfig Default(bool quick);

    /// <summary>The cells of <paramref name="config"/> in canonical order.</summary>
    protected abstract IEnumerable<TCell> Expand(TConfig config);

    /// <summary>Label of a cell for people.</summary>
    protected abstract string Label(TCell cell);

    /// <summary>Runs one cell.</summary>
    protected abstract ResultsTable Run(TCell cell, TextWriter? log);

    /// <summary>Prior cost guess of one cell (default: unknown).</summary>
    protected virtual TimeSpan? PriorCost(TCell cell) => null;

    /// <summary>Parses a configuration (typed).</summary>
    public TConfig ParseConfig(string json) => SweepJson.Parse<TConfig>(json, $"{Name} sweep configuration");

    /// <summary>Parses a cell input (typed).</summary>
    public TCell ParseCell(string json) => SweepJson.Parse<TCell>(json, $"{Name} cell input");

    /// <summary>The cells of a typed configuration.</summary>
    public IReadOnlyList<CellSpec> Cells(TConfig config) =>
        Expand(config).Select(c => new CellSpec(Label(c), SweepJson.Canonical(c))).ToList();

    public string DefaultConfig(bool quick) => System.Text.Json.JsonSerializer.Serialize(Default(quick), SweepJson.Indented);
    public string CanonicalConfig(string configJson) => SweepJson.Canonical(ParseConfig(configJson));
    public string CanonicalCell(string cellInput) => SweepJson.Canonical(ParseCell(cellInput));
    public IReadOnlyList<CellSpec> Cells(string configJson) => Cells(ParseConfig(configJson));
    public ResultsTable Run(string cellInput, TextWriter? log) => Run(ParseCell(cellInput), log);
    public TimeSpan? PriorCost(string cellInput) => PriorCost(ParseCell(cellInput));
}
