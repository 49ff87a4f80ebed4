using LlcLab.IO;
using LlcLab.Protocols;
using LlcLab.Tasks;

namespace LlcLab.IO;

/// <summary>
/// Loads the tables that notebooks 03–06 saved, for the summary notebook (07). When a table is missing:
/// in quick mode a small version is computed on the spot (so CI can run 07 on its own) and the notebook says so;
/// otherwise a clear error names the notebook to run first.
/// </summary>
public static class SavedResults
{
    /// <summary>Where each protocol's table comes from.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotebookOf = new Dictionary<string, string>
    {
        [ErasureLlcExperiment.Name] = "03-rq1-leace-and-llc",
        [ConceptComparisonExperiment.Name] = "04-rq2-what-the-llc-reveals",
        [ArchitectureSweepExperiment.Name] = "05-rq3-architectures-and-sizes",
        [UnlearningLlcExperiment.Name] = "06-rq4-llc-as-unlearning-metric",
        [UnlearningAuditExperiment.Name] = "06-rq4-unlearning-audit",
        [UnlearningTrajectoryExperiment.Name] = "08-llc-during-unlearning",
    };

    /// <summary>
    /// The saved table of <paramref name="experiment"/> (from <c>{notebook}.csv</c> in the results folder), or — when it is missing
    /// and <paramref name="quick"/> — the result of <see cref="ComputeSmall"/>. <paramref name="log"/> says which.
    /// </summary>
    public static ExperimentResult Load(string experiment, bool quick, TextWriter? log = null, string? folder = null)
    {
        if (!NotebookOf.TryGetValue(experiment, out var notebook))
            throw new ArgumentException($"Unknown experiment '{experiment}'; known: {string.Join(", ", NotebookOf.Keys)}.", nameof(experiment));
        var root = folder ?? ResultsFolder.Root;
        var path = Path.Combine(root, notebook + ".csv");
        if (File.Exists(path))
        {
            var table = new ResultsTable(ResultsTable.ReadCsv(path).Where(r => r.Experiment == experiment));
            if (table.Count > 0)
            {
                log?.WriteLine($"{experiment}: {table.Count} rows from {path}");
                return new ExperimentResult(experiment, table);
            }
        }
        if (!quick)
            throw new InvalidOperationException(
                $"The results of {experiment} were not found at {path}. Run notebooks/{notebook}.ipynb first (same results folder: " +
                $"{root}; set {ResultsFolder.EnvironmentVariable} to point elsewhere), then rerun this notebook.");
        log?.WriteLine($"{experiment}: no saved table at {path}; computing a small quick-mode version here (run {notebook} for the real one).");
        return ComputeSmall(experiment);
    }

    /// <summary>A deliberately small run of a protocol (one seed, few conditions, short chains) for quick-mode summaries.</summary>
    public static ExperimentResult ComputeSmall(string experiment) => experiment switch
    {
        // RQ1/RQ2 stand-ins on digits (the fast teaching set): the same protocol and matched nulls, minutes instead of 03/04's quarter hour.
        ErasureLlcExperiment.Name => ErasureLlcExperiment.Run(ErasureLlcOptions.QuickMode with
        { Data = ConceptTask.DigitsName, Arch = "mlp:64-32-10:relu", Concept = "parity", Seeds = new long[] { 0, 1 }, Strengths = new[] { 0.0, 1.0 } }),
        ConceptComparisonExperiment.Name => ConceptComparisonExperiment.Run(ConceptComparisonOptions.QuickMode with
        { Data = ConceptTask.DigitsName, Arch = "mlp:64-32-10:relu", Seeds = new long[] { 0, 1 }, Concepts = new[] { "parity" } }),
        UnlearningTrajectoryExperiment.Name => UnlearningTrajectoryExperiment.Run(UnlearningTrajectoryOptions.QuickMode with { Procedures = ["neggrad", "leace"] }),
        ArchitectureSweepExperiment.Name => ArchitectureSweepExperiment.Run(ArchitectureSweepOptions.QuickMode with
        { Archs = new[] { "mlp:64-16-10:relu", "mlp:64-64-10:relu", "mlp:64-64-64-10:relu" }, Control = false, Nulls = [], GammaLadder = [] }),
        UnlearningLlcExperiment.Name => UnlearningLlcExperiment.Run(UnlearningLlcOptions.QuickMode with
        { Procedures = new[] { "finetune", "neggrad" }, RelearnMaxSteps = 30 }),
        _ => throw new ArgumentException($"Unknown experiment '{experiment}'.", nameof(experiment)),
    };
}
