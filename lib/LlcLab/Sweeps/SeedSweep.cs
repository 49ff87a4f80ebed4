using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// The common shape "one options record with a list of seeds; each seed is an independent model": the configuration is
/// the protocol's own options record and a cell is that record with a single seed. Fits every protocol whose seed loop
/// shares nothing between iterations (each seed trains its own model from its own seed), so the in-process run over
/// seeds s₁…s_k equals the concatenation of cells s₁…s_k — which each such protocol's test checks.
/// </summary>
public abstract class SeedSweep<TOptions> : SweepProtocol<TOptions, TOptions> where TOptions : class
{
    /// <summary>The seeds of a configuration.</summary>
    protected abstract IReadOnlyList<long> Seeds(TOptions options);

    /// <summary>The configuration restricted to one seed.</summary>
    protected abstract TOptions WithSeed(TOptions options, long seed);

    /// <summary>Runs the protocol in-process (for one cell: one seed).</summary>
    protected abstract ResultsTable RunProtocol(TOptions options, TextWriter? log);

    /// <summary>What distinguishes cells besides the seed (e.g. the architecture), for labels.</summary>
    protected abstract string Describe(TOptions options);

    protected sealed override IEnumerable<TOptions> Expand(TOptions config)
    {
        var seeds = Seeds(config);
        if (seeds.Count == 0) throw new InvalidDataException($"{Name} sweep configuration: seeds is empty; give at least one seed.");
        if (seeds.Distinct().Count() != seeds.Count) throw new InvalidDataException($"{Name} sweep configuration: seeds has duplicates; each seed is one cell.");
        return seeds.Select(s => WithSeed(config, s));
    }

    protected sealed override string Label(TOptions cell) => $"{Describe(cell)} seed {Seeds(cell)[0]}";

    protected sealed override ResultsTable Run(TOptions cell, TextWriter? log)
    {
        if (Seeds(cell).Count != 1) throw new InvalidDataException($"{Name} cell input: a cell has exactly one seed, got {Seeds(cell).Count}.");
        return RunProtocol(cell, log);
    }
}
