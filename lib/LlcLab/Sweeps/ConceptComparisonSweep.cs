using LlcLab.Protocols;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>RQ2 (<see cref="ConceptComparisonExperiment"/>, notebook 04) as a sweep: one cell = one seed (all concepts of that seed's model).</summary>
public sealed class ConceptComparisonSweep : SeedSweep<ConceptComparisonOptions>
{
    public override string Name => "rq2";
    public override string Experiment => ConceptComparisonExperiment.Name;
    public override string Description => "RQ2 (notebook 04): ΔLLC across concepts — one cell = one seed";

    protected override ConceptComparisonOptions Default(bool quick) => quick ? ConceptComparisonOptions.QuickMode : new ConceptComparisonOptions();
    protected override IReadOnlyList<long> Seeds(ConceptComparisonOptions o) => o.Seeds;
    protected override ConceptComparisonOptions WithSeed(ConceptComparisonOptions o, long seed) => o with { Seeds = [seed] };
    protected override ResultsTable RunProtocol(ConceptComparisonOptions o, TextWriter? log) => ConceptComparisonExperiment.Run(o, log).Table;
    protected override string Describe(ConceptComparisonOptions o) => $"{o.Data} {o.Arch} {o.Layer} {o.Concepts.Count} concepts{(o.Quick ? " (quick)" : "")}";

    /// <summary>Fashion-MNIST full mode, measured on this project's 2-core VM with one libtorch thread per worker: the 10-seed sweep at
    /// f59a459 (4 concepts × 5 edits × 2 variants × 2 γ ≈ 84 estimates and 40 re-minimisations per seed) took 3,085–4,404 s per cell with one
    /// or two workers and 9,132–9,204 s with three processes sharing the two cores. The prior is the slowest with a margin, 10,000 s (≈ 2 h 47 min),
    /// so that <c>sweep run --time-budget</c> starts what fits before any cell has finished (the earlier 6 h, from components timed with six jobs
    /// sharing the machine, started nothing under a 2 h 30 min budget). Quick mode not measured.</summary>
    protected override TimeSpan? PriorCost(ConceptComparisonOptions o) => o.Quick ? null : TimeSpan.FromSeconds(10_000);
}
