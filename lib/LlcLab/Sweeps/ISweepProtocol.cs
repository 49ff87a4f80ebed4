using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>One cell as a protocol enumerates it: a human label and the canonical JSON of its input record.</summary>
/// <param name="Label">Short description, e.g. <c>mlp:64-64-64-10:relu parity h1 seed 7</c> (for people, not hashed).</param>
/// <param name="Input">Canonical JSON (<see cref="SweepJson.Canonical"/>) of everything the cell's result depends on.</param>
public sealed record CellSpec(string Label, string Input);

/// <summary>
/// A protocol as a grid of pure cells. A configuration record (JSON) enumerates cells in a fixed order; a cell is a pure
/// function of its input record, returning tidy rows (<see cref="ResultRow"/>, the protocol's usual schema); the merged
/// table is the cells' rows in enumeration order, so it is the same whichever process or machine ran which cell. Implement
/// it through <see cref="SweepProtocol{TConfig, TCell}"/>, which does the JSON, and register it in <see cref="SweepProtocols"/>.
/// </summary>
public interface ISweepProtocol
{
    /// <summary>Short name used on the command line and in sweep folders, e.g. <c>rq1</c>.</summary>
    string Name { get; }

    /// <summary>The value of the rows' "experiment" column.</summary>
    string Experiment { get; }

    /// <summary>One line saying what a cell is.</summary>
    string Description { get; }

    /// <summary>The default configuration (full or quick mode), as indented JSON to start editing from.</summary>
    string DefaultConfig(bool quick);

    /// <summary>Normalises a configuration (parse and re-serialise canonically; throws <see cref="InvalidDataException"/> naming the problem).</summary>
    string CanonicalConfig(string configJson);

    /// <summary>Parses a cell input and re-serialises it canonically (what its id hashes).</summary>
    string CanonicalCell(string cellInput);

    /// <summary>The cells of a configuration, in canonical (merge) order.</summary>
    IReadOnlyList<CellSpec> Cells(string configJson);

    /// <summary>Runs one cell; <paramref name="log"/> gets progress lines. Must not depend on anything but the input.</summary>
    ResultsTable Run(string cellInput, TextWriter? log);

    /// <summary>A prior guess of a cell's wall time on one CPU core before any cell has run (null: unknown).</summary>
    TimeSpan? PriorCost(string cellInput);
}
