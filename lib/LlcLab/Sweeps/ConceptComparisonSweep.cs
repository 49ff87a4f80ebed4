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

    /// <summary>Fashion-MNIST full mode, from the components measured for <see cref="ErasureLlcSweep"/> (184 s per estimate, ≈ 150 s per
    /// re-minimisation on the shared machine): 4 concepts × 5 edits × 2 variants × 2 γ ≈ 84 estimates and 40 re-minimisations ≈ 6 h per seed
    /// there. Quick mode not measured.</summary>
    protected override TimeSpan? PriorCost(ConceptComparisonOptions o) => o.Quick ? null : TimeSpan.FromHours(6);
}
