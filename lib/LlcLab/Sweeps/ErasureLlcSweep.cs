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

    /// <summary>Fashion-MNIST full mode, from components measured on this project's 2-core machine shared by six jobs (one libtorch
    /// thread, ≈ 30 % of a core): one λ̂ estimate (4 chains × 2,000 steps, batch 250, n = 10,000) 184 s, a 300-step full-batch
    /// re-minimisation ≈ 150 s, training 110 s. A cell has ≈ 28 estimates (before, t = ½, t = 1, five edits × two variants, each at γ and γ′)
    /// and 11 re-minimisations: ≈ 2 h there (roughly 3× less on an unshared core). Quick mode (2,000 images, short chains): ≈ 5 min there.</summary>
    protected override TimeSpan? PriorCost(ErasureLlcOptions cell) => TimeSpan.FromSeconds(cell.Quick ? 300 : 7200);
}
