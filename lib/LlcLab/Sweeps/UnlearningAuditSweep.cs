using LlcLab.Protocols;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// The RQ4 audit (<see cref="UnlearningAuditExperiment"/>, notebook 06) as a sweep: one cell = one (data set, forget kind, seed),
/// listed data-set-major, then kind, then seed — the order of the protocol's own loop, which shares nothing between iterations
/// (each cell trains its own original, retrains, tunes and measures), so the in-process run equals the cells concatenated.
/// </summary>
public sealed class UnlearningAuditSweep : SweepProtocol<UnlearningAuditOptions, UnlearningAuditOptions>
{
    public override string Name => "rq4-audit";
    public override string Experiment => UnlearningAuditExperiment.Name;
    public override string Description => "RQ4 audit (notebook 06): tuned unlearning, hard negatives and LLC signals — one cell = one (data set, forget kind, seed)";

    protected override UnlearningAuditOptions Default(bool quick) => quick ? UnlearningAuditOptions.QuickMode : new UnlearningAuditOptions();

    protected override IEnumerable<UnlearningAuditOptions> Expand(UnlearningAuditOptions config)
    {
        foreach (var (list, flag) in new[] { (config.Datasets.Select(d => d).ToList(), "datasets"), (config.ForgetKinds.ToList(), "forgetKinds") })
        {
            if (list.Count == 0) throw new InvalidDataException($"rq4-audit sweep configuration: {flag} is empty; give at least one.");
            if (list.Distinct().Count() != list.Count) throw new InvalidDataException($"rq4-audit sweep configuration: {flag} has duplicates.");
        }
        if (config.Seeds.Count == 0 || config.Seeds.Distinct().Count() != config.Seeds.Count)
            throw new InvalidDataException("rq4-audit sweep configuration: seeds must be non-empty without duplicates; each seed is one cell per (data set, kind).");
        foreach (var d in config.Datasets)
            foreach (var k in config.ForgetKinds)
                foreach (var s in config.Seeds)
                    yield return config with { Datasets = [d], ForgetKinds = [k], Seeds = [s] };
    }

    protected override string Label(UnlearningAuditOptions cell) => $"{cell.Datasets[0]}/{cell.ForgetKinds[0]} seed {cell.Seeds[0]}{(cell.Quick ? " (quick)" : "")}";

    protected override ResultsTable Run(UnlearningAuditOptions cell, TextWriter? log)
    {
        if (cell.Datasets.Count != 1 || cell.ForgetKinds.Count != 1 || cell.Seeds.Count != 1)
            throw new InvalidDataException("rq4-audit cell input: a cell has exactly one data set, one forget kind and one seed.");
        return UnlearningAuditExperiment.Run(cell, log).Table;
    }

    /// <summary>Not yet measured in full mode (see notebook 06's README line for the estimate).</summary>
    protected override TimeSpan? PriorCost(UnlearningAuditOptions cell) => null;
}
