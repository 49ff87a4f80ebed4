using LlcLab.Protocols;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>RQ4 (<see cref="UnlearningLlcExperiment"/>, notebook 06) as a sweep: one cell = one seed (every procedure on that seed's model).</summary>
public sealed class UnlearningLlcSweep : SeedSweep<UnlearningLlcOptions>
{
    public override string Name => "rq4";
    public override string Experiment => UnlearningLlcExperiment.Name;
    public override string Description => "RQ4 (notebook 06): unlearning baselines and the LLC — one cell = one seed";

    protected override UnlearningLlcOptions Default(bool quick) => quick ? UnlearningLlcOptions.QuickMode : new UnlearningLlcOptions();
    protected override IReadOnlyList<long> Seeds(UnlearningLlcOptions o) => o.Seeds;
    protected override UnlearningLlcOptions WithSeed(UnlearningLlcOptions o, long seed) => o with { Seeds = [seed] };
    protected override ResultsTable RunProtocol(UnlearningLlcOptions o, TextWriter? log) => UnlearningLlcExperiment.Run(o, log).Table;
    protected override string Describe(UnlearningLlcOptions o) => $"{o.Arch} forget {o.ForgetClass} {o.Procedures.Count} procedures{(o.Quick ? " (quick)" : "")}";

    /// <summary>Full mode ≈ 3.8 min per seed (the reference run's notebook 06: 11.5 min for 3 seeds); quick mode not measured.</summary>
    protected override TimeSpan? PriorCost(UnlearningLlcOptions o) => o.Quick ? null : TimeSpan.FromSeconds(230);
}
