using LlcLab.Protocols;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// RQ3 (<see cref="ArchitectureSweepExperiment"/>, notebook 05) as a sweep: one cell = one (architecture, seed). The
/// protocol's loop over architectures × seeds shares nothing between iterations (each trains its own model from its own
/// seed), so the in-process run equals the cells concatenated in architecture-major, seed-minor order — the order
/// <see cref="Expand"/> lists them and merge writes them.
/// </summary>
public sealed class ArchitectureSweepSweep : SweepProtocol<ArchitectureSweepOptions, ArchitectureSweepOptions>
{
    public override string Name => "rq3";
    public override string Experiment => ArchitectureSweepExperiment.Name;
    public override string Description => "RQ3 (notebook 05): ΔLLC across architectures and sizes — one cell = one (architecture, seed)";

    protected override ArchitectureSweepOptions Default(bool quick) => quick ? ArchitectureSweepOptions.QuickMode : new ArchitectureSweepOptions();

    protected override IEnumerable<ArchitectureSweepOptions> Expand(ArchitectureSweepOptions config)
    {
        if (config.Archs.Count == 0) throw new InvalidDataException("rq3 sweep configuration: archs is empty; give at least one architecture.");
        if (config.Seeds.Count == 0) throw new InvalidDataException("rq3 sweep configuration: seeds is empty; give at least one seed.");
        if (config.Seeds.Distinct().Count() != config.Seeds.Count || config.Archs.Distinct().Count() != config.Archs.Count)
            throw new InvalidDataException("rq3 sweep configuration: archs and seeds must not repeat; each (architecture, seed) is one cell.");
        foreach (var arch in config.Archs)
            foreach (var seed in config.Seeds)
                yield return config with { Archs = [arch], Seeds = [seed] };
    }

    protected override string Label(ArchitectureSweepOptions cell) => $"{cell.Archs[0]} seed {cell.Seeds[0]}{(cell.Quick ? " (quick)" : "")}";

    protected override ResultsTable Run(ArchitectureSweepOptions cell, TextWriter? log)
    {
        if (cell.Archs.Count != 1 || cell.Seeds.Count != 1)
            throw new InvalidDataException($"rq3 cell input: a cell has exactly one architecture and one seed, got {cell.Archs.Count} and {cell.Seeds.Count}.");
        return ArchitectureSweepExperiment.Run(cell, log).Table;
    }

    /// <summary>Full mode ≈ 60 min per (architecture, seed) with the γ ladder, ≈ 35 min without it (extrapolated: on a shared core
    /// the smallest Fashion-MNIST MLP took 20.5 min for its first 7 of 13 estimates, at chains 1.7× shorter than now); larger models
    /// and the CNNs cost more.</summary>
    protected override TimeSpan? PriorCost(ArchitectureSweepOptions cell) => cell.Quick ? null
        : TimeSpan.FromMinutes(cell.GammaLadder.Count > 0 && cell.Seeds.Any(cell.GammaLadderSeeds.Contains) ? 60 : 35);
}
