namespace LlcLab.Sweeps;

/// <summary>The protocols that can run as sweeps, by <see cref="ISweepProtocol.Name"/>. Add a protocol by adding it here.</summary>
public static class SweepProtocols
{
    /// <summary>Every registered protocol.</summary>
    public static IReadOnlyList<ISweepProtocol> All { get; } = [new ErasureLlcSweep(), new ConceptComparisonSweep(), new ArchitectureSweepSweep(), new UnlearningLlcSweep(), new UnlearningTrajectorySweep(), new UnlearningAuditSweep()];

    /// <summary>The protocol called <paramref name="name"/>; a clear error listing the known names otherwise.</summary>
    public static ISweepProtocol Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown sweep protocol '{name}' (--protocol). Known: {string.Join(", ", All.Select(p => p.Name))}.");
}
