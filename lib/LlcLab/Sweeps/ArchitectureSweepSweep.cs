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

    /// <summary>A prior for progress estimates only, until finished cells give the measured rate: full mode ≈ 10 min + 3 min per
    /// estimate per (architecture, seed): before, inserted, erased, control and each null, plus, on the ladder seeds, each ladder γ for the
    /// before, erased and null models. Measured once on a shared core before the extra nulls: 784-16-10, one null, with the ladder, 364 s; larger models
    /// and the CNNs cost more (not measured).</summary>
    protected override TimeSpan? PriorCost(ArchitectureSweepOptions cell) => cell.Quick ? null
        : TimeSpan.FromMinutes(10 + 3 * ((cell.Inserted ? 1 : 0) + (cell.Control ? 1 : 0) + 2 + cell.Nulls.Count
            + (cell.Seeds.Any(cell.GammaLadderSeeds.Contains) ? cell.GammaLadder.Count * (2 + cell.Nulls.Count) : 0)));
}
