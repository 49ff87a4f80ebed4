using LlcLab.Protocols;
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

    /// <summary>Fashion-MNIST full mode, measured on this project's 2-core VM with one libtorch thread per worker: the 10-seed sweep at
    /// a93e368 took 1,049–1,606 s per cell (one or two workers beside benches and tests), and at def097d, whose frozen variant
    /// re-minimises to the gradient criterion (≤ 3,000 steps), 1,228 s with two workers and a third job. A cell has ≈ 28 estimates (before,
    /// t = ½, t = 1, five edits × two variants, each at γ and γ′). The prior is the slowest measured cell with a margin, 1,800 s, so that
    /// <c>sweep run --time-budget</c> starts what fits before any cell has finished (the earlier prior of 2 h, from components timed with six
    /// jobs sharing the machine, started nothing under a 2 h budget). Quick mode (2,000 images, short chains): ≈ 5 min there.</summary>
    protected override TimeSpan? PriorCost(ErasureLlcOptions cell) => TimeSpan.FromSeconds(cell.Quick ? 300 : 1800);
}
