using LlcLab.Experiments;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// The RQ1 grid (notebook 03): architectures × concepts × seeds of <see cref="ErasureLlcOptions"/>. Null axes fall back to
/// the single value in <see cref="Options"/>. Seeds come from <c>Options.Seeds</c>.
/// </summary>
public sealed record ErasureLlcGrid
{
    /// <summary>Every setting of the protocol; Arch/Concept are overridden by the axes when given.</summary>
    public ErasureLlcOptions Options { get; init; } = new();
    /// <summary>Architectures to cross (null: <c>Options.Arch</c>).</summary>
    public IReadOnlyList<string>? Archs { get; init; }
    /// <summary>Concepts to cross (null: <c>Options.Concept</c>).</summary>
    public IReadOnlyList<string>? Concepts { get; init; }
}

/// <summary>
/// RQ1 (<see cref="ErasureLlcExperiment"/>) as a sweep: one cell = one (architecture, concept, seed), i.e. the protocol's
/// per-seed loop body run with <c>Seeds = [seed]</c>. Each seed trains its own model from its own seed, so the cells are
/// independent and the in-process run over seeds s₁…s_k equals the concatenation of cells s₁…s_k.
/// </summary>
public sealed class ErasureLlcSweep : SweepProtocol<ErasureLlcGrid, ErasureLlcOptions>
{
    public override string Name => "rq1";
    public override string Experiment => ErasureLlcExperiment.Name;
    public override string Description => "RQ1 (notebook 03): LEACE and the LLC — one cell = (architecture, concept, seed)";

    protected override ErasureLlcGrid Default(bool quick) => new() { Options = quick ? ErasureLlcOptions.QuickMode : new ErasureLlcOptions() };

    protected override IEnumerable<ErasureLlcOptions> Expand(ErasureLlcGrid config)
    {
        if (config.Options.Seeds.Count == 0) throw new InvalidDataException("rq1 sweep configuration: options.seeds is empty; give at least one seed.");
        if (config.Options.Seeds.Distinct().Count() != config.Options.Seeds.Count)
            throw new InvalidDataException("rq1 sweep configuration: options.seeds has duplicates; each seed is one cell.");
        foreach (var arch in config.Archs ?? [config.Options.Arch])
            foreach (var concept in config.Concepts ?? [config.Options.Concept])
                foreach (var seed in config.Options.Seeds)
                    yield return config.Options with { Arch = arch, Concept = concept, Seeds = [seed] };
    }

    protected override string Label(ErasureLlcOptions c) => $"{c.Arch} {c.Concept} {c.Layer} seed {c.Seeds[0]}{(c.Quick ? " (quick)" : "")}";

    protected override ResultsTable Run(ErasureLlcOptions cell, TextWriter? log)
    {
        if (cell.Seeds.Count != 1) throw new InvalidDataException($"rq1 cell input: a cell has exactly one seed, got {cell.Seeds.Count}.");
        return ErasureLlcExperiment.Run(cell, log).Table;
    }

    /// <summary>Measured on this project's 2-core machine at one libtorch thread: a quick-mode cell 38 s of CPU (82 s wall on
    /// the busy machine); a full-mode cell ≈ 6.4 min (the reference run's notebook 03: 32.1 min for 5 seeds). Other settings
    /// scale roughly with the number of SGLD steps.</summary>
    protected override TimeSpan? PriorCost(ErasureLlcOptions cell) => TimeSpan.FromSeconds(cell.Quick ? 60 : 385);
}
