namespace LlcLab.Unlearning;

/// <summary>
/// "Gap to retrain" (e.g. Kurmanji et al. 2023; Fan et al. 2024): for each metric of an unlearned
/// checkpoint, value − value of the model retrained from scratch on D_r (the reference, usually the
/// retrain run's final checkpoint). Emitted as <c>{metric}_gap_to_retrain</c> with the same layer and
/// data subset; 0 means indistinguishable from exact unlearning on that metric.
/// </summary>
public sealed class RetrainGap
{
    readonly Dictionary<(string, string?, string?), double> reference;

    /// <param name="reference">The retrained model's metric values (e.g. the final checkpoint of a retrain run).</param>
    public RetrainGap(IEnumerable<MetricValue> reference)
    {
        this.reference = [];
        foreach (var v in reference)
            if (!v.Metric.EndsWith(Suffix, StringComparison.Ordinal)) this.reference[(v.Metric, v.Layer, v.DataSubset)] = v.Value;
        if (this.reference.Count == 0) throw new ArgumentException("The retrain reference has no metric values; run the retrain procedure with the same metrics first.");
    }

    /// <summary>The reference from a finished retrain run folder (its <c>metrics.csv</c>, rows of the last step).</summary>
    public static RetrainGap FromRunFolder(string dir)
    {
        var path = Path.Combine(dir, "metrics.csv");
        var table = IO.ResultsTable.ReadCsv(path);
        var procs = table.Select(r => r.Procedure).Distinct().ToList();
        if (procs.Count != 1 || procs[0] != "retrain")
            throw new ArgumentException($"'{path}' is not a retrain run (procedures: {string.Join(", ", procs)}); run `llclab unlearn --method retrain` first.");
        long last = table.Max(r => r.Step ?? -1);
        return new RetrainGap(table.Where(r => r.Step == last).Select(r => new MetricValue(r.Metric, r.Value) { Layer = r.Layer, DataSubset = r.DataSubset }));
    }

    public const string Suffix = "_gap_to_retrain";

    /// <summary>Gap rows for those <paramref name="values"/> that have a reference value.</summary>
    public IEnumerable<MetricValue> Gaps(IEnumerable<MetricValue> values)
    {
        foreach (var v in values)
            if (reference.TryGetValue((v.Metric, v.Layer, v.DataSubset), out double r))
                yield return new MetricValue(v.Metric + Suffix, v.Value - r) { Layer = v.Layer, DataSubset = v.DataSubset };
    }
}
