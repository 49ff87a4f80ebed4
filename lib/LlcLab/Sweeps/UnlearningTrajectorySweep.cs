using LlcLab.Protocols;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// The "LLC during unlearning" protocol (<see cref="UnlearningTrajectoryExperiment"/>, notebook 08) as a sweep: one cell =
/// one (data set, forget kind, procedure, seed), i.e. <see cref="UnlearningTrajectoryOptions"/> with one of each. Each cell trains
/// (or takes from the cache) its problem's model, tunes its procedure and runs that procedure's whole trajectory, sharing nothing
/// with other cells, so the in-process run equals the concatenation of its cells in enumeration order (data set, forget kind,
/// seed, procedure — the protocol's nesting).
/// </summary>
public sealed class UnlearningTrajectorySweep : SweepProtocol<UnlearningTrajectoryOptions, UnlearningTrajectoryOptions>
{
    public override string Name => "trajectory";
    public override string Experiment => UnlearningTrajectoryExperiment.Name;
    public override string Description => "LLC during unlearning (notebook 08): λ̂ trajectories per layer and subset — one cell = (data set, forget kind, procedure, seed)";

    protected override UnlearningTrajectoryOptions Default(bool quick) => quick ? UnlearningTrajectoryOptions.QuickMode : new UnlearningTrajectoryOptions();

    protected override IEnumerable<UnlearningTrajectoryOptions> Expand(UnlearningTrajectoryOptions config)
    {
        if (config.Seeds.Count == 0) throw new InvalidDataException("trajectory sweep configuration: seeds is empty; give at least one seed.");
        if (config.Seeds.Distinct().Count() != config.Seeds.Count) throw new InvalidDataException("trajectory sweep configuration: seeds has duplicates; each seed is one cell per procedure.");
        if (config.Procedures.Count == 0) throw new InvalidDataException("trajectory sweep configuration: procedures is empty; name at least one.");
        if (config.Procedures.Distinct().Count() != config.Procedures.Count) throw new InvalidDataException("trajectory sweep configuration: procedures has duplicates.");
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"trajectory sweep configuration: {e.Message}", e); }
        if (config.Datasets.Distinct().Count() != config.Datasets.Count || config.ForgetKinds.Distinct().Count() != config.ForgetKinds.Count)
            throw new InvalidDataException("trajectory sweep configuration: datasets or forget_kinds has duplicates.");
        foreach (var d in config.Datasets)
            foreach (var k in config.ForgetKinds)
                foreach (var seed in config.Seeds)
                    foreach (var p in config.Procedures)
                        yield return config with { Datasets = [d], ForgetKinds = [k], Seeds = [seed], Procedures = [p] };
    }

    protected override string Label(UnlearningTrajectoryOptions c) => $"{c.Datasets[0]}/{c.ForgetKinds[0]} {c.Procedures[0]} seed {c.Seeds[0]}{(c.Quick ? " (quick)" : "")}";

    protected override ResultsTable Run(UnlearningTrajectoryOptions cell, TextWriter? log)
    {
        if (cell.Seeds.Count != 1 || cell.Procedures.Count != 1 || cell.Datasets.Count != 1 || cell.ForgetKinds.Count != 1)
            throw new InvalidDataException($"trajectory cell input: a cell has exactly one data set, forget kind, seed and procedure, got {cell.Datasets.Count}, {cell.ForgetKinds.Count}, {cell.Seeds.Count} and {cell.Procedures.Count}.");
        return UnlearningTrajectoryExperiment.Run(cell, log).Table;
    }

    /// <summary>Quick mode measured: the notebook's 3 cells took 98 s wall on the shared 2-core machine (≈ 33 s each). Full mode is
    /// not measured: 9 checkpoints × 2 readings × 7 estimates = 126 full-batch estimates per cell at ≈ 8 s each (rq4's full-mode
    /// cost per estimate) gives ≈ 17 min per cell, ≈ 45 h of CPU for the default 2 data sets × 2 forget kinds × 8 procedures × 5 seeds.</summary>
    protected override TimeSpan? PriorCost(UnlearningTrajectoryOptions cell) => TimeSpan.FromSeconds(cell.Quick ? 35 : 1000);
}
