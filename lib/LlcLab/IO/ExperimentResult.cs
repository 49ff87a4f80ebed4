using LlcLab.IO;
using LlcLab.Analysis;

namespace LlcLab.IO;

/// <summary>
/// The tidy rows of one protocol run plus convenience queries: summaries across seeds and paired
/// (same-seed) differences such as ΔLLC = λ̂(after) − λ̂(before).
/// </summary>
public sealed class ExperimentResult
{
    /// <summary>Experiment name (the "experiment" column).</summary>
    public string Name { get; }
    /// <summary>All rows.</summary>
    public ResultsTable Table { get; }

    /// <summary>Wraps a table.</summary>
    public ExperimentResult(string name, ResultsTable table) { Name = name; Table = table; }

    /// <summary>Rows matching the filter (null = any).</summary>
    public IEnumerable<ResultRow> Rows(string metric, string? procedure = null, long? step = null, string? model = null,
        string? layer = null, string? dataSubset = null) =>
        Table.Where(r => r.Metric == metric && (procedure is null || r.Procedure == procedure) && (step is null || r.Step == step)
            && (model is null || r.Model == model) && (layer is null || r.Layer == layer) && (dataSubset is null || r.DataSubset == dataSubset));

    /// <summary>Mean, std and t-interval of <paramref name="metric"/> across seeds for the matching rows.</summary>
    public Summary Stat(string metric, string? procedure = null, long? step = null, string? model = null, string? layer = null, string? dataSubset = null)
    {
        var v = Rows(metric, procedure, step, model, layer, dataSubset).Select(r => r.Value).ToArray();
        if (v.Length == 0)
            throw new InvalidOperationException($"No rows for metric '{metric}', procedure '{procedure ?? "*"}', step {step?.ToString() ?? "*"}, model '{model ?? "*"}' in {Name}.");
        return Stats.Summarize(v);
    }

    /// <summary>
    /// Paired difference across seeds: for each seed, value(B) − value(A) of <paramref name="metric"/>, summarised.
    /// </summary>
    public Summary Delta(string metric, (string Procedure, long? Step) a, (string Procedure, long? Step) b, string? model = null,
        string? layer = null, string? dataSubset = null)
    {
        var ra = Rows(metric, a.Procedure, a.Step, model, layer, dataSubset).Where(r => r.Seed is not null).ToDictionary(r => r.Seed!.Value, r => r.Value);
        var rb = Rows(metric, b.Procedure, b.Step, model, layer, dataSubset).Where(r => r.Seed is not null).ToDictionary(r => r.Seed!.Value, r => r.Value);
        var d = ra.Keys.Intersect(rb.Keys).Order().Select(s => rb[s] - ra[s]).ToArray();
        if (d.Length == 0) throw new InvalidOperationException($"No seeds with both {a} and {b} for metric '{metric}' in {Name}.");
        return Stats.Summarize(d);
    }

    /// <summary>
    /// <see cref="Delta"/> over the seeds whose λ̂ rows at both stages passed the minimum check (companion metric
    /// <c>{metric}_valid</c> = 1, see <see cref="LlcRows.Validity"/>); a stage without validity rows counts as valid.
    /// Returns null when no seed qualifies, plus how many paired seeds were excluded.
    /// </summary>
    public (Summary? Delta, int Used, int Excluded) DeltaValid(string metric, (string Procedure, long? Step) a, (string Procedure, long? Step) b,
        string? model = null, string? layer = null, string? dataSubset = null)
    {
        Dictionary<long, double> Values((string Procedure, long? Step) s) =>
            Rows(metric, s.Procedure, s.Step, model, layer, dataSubset).Where(r => r.Seed is not null).ToDictionary(r => r.Seed!.Value, r => r.Value);
        Dictionary<long, bool> Valid((string Procedure, long? Step) s) =>
            Rows(metric + "_valid", s.Procedure, s.Step, model, layer, dataSubset).Where(r => r.Seed is not null).ToDictionary(r => r.Seed!.Value, r => r.Value > 0.5);
        var (va, vb, oka, okb) = (Values(a), Values(b), Valid(a), Valid(b));
        var seeds = va.Keys.Intersect(vb.Keys).Order().ToList();
        var used = seeds.Where(s => oka.GetValueOrDefault(s, true) && okb.GetValueOrDefault(s, true)).ToList();
        var d = used.Select(s => vb[s] - va[s]).ToArray();
        return (d.Length == 0 ? null : Stats.Summarize(d), used.Count, seeds.Count - used.Count);
    }

    /// <summary>Number of <paramref name="metric"/> rows whose <c>{metric}_valid</c> companion is 0, and the number with a companion.</summary>
    public (int Invalid, int Checked) ValidityCount(string metric = "llc", string? procedure = null)
    {
        var v = Rows(metric + "_valid", procedure).ToList();
        return (v.Count(r => r.Value < 0.5), v.Count);
    }

    /// <summary>Exclusion counts of the <paramref name="metric"/> estimates (optionally of one procedure) under the strict validity
    /// (<c>{metric}_strict_valid</c>: at a minimum, R̂ ≤ 1.1, MALA ≥ 0.9): how many were checked, how many are excluded, and for each check (<see cref="LlcValidity.CheckName"/>) how many failed it
    /// (an estimate can fail several).</summary>
    public ValidityExclusions Exclusions(string metric = "llc", string? procedure = null)
    {
        var v = Rows(metric + "_strict_valid", procedure).ToList();
        var (invalid, total) = (v.Count(r => r.Value < 0.5), v.Count);
        var failed = Enum.GetValues<LlcCheck>().ToDictionary(LlcValidity.CheckName,
            c => Rows($"{metric}_check_{LlcValidity.CheckName(c)}", procedure).Count(r => r.Value < 0.5));
        return new ValidityExclusions(metric, procedure, total, invalid, failed);
    }

    /// <summary>Writes the rows as CSV and JSON under the results folder (<c>{fileStem}.csv</c>, <c>{fileStem}.json</c>); returns the CSV path.</summary>
    public string Save(string fileStem)
    {
        var csv = ResultsFolder.PathOf(fileStem + ".csv");
        Table.WriteCsv(csv);
        Table.WriteJson(ResultsFolder.PathOf(fileStem + ".json"));
        return csv;
    }
}

/// <summary>How many estimates of <see cref="Metric"/> were checked, how many were excluded, and how many failed each check.</summary>
public sealed record ValidityExclusions(string Metric, string? Procedure, int Checked, int Excluded, IReadOnlyDictionary<string, int> FailedByCheck)
{
    /// <summary>E.g. "llc: 12 of 40 excluded (r_hat 9, mala 4, grad_bias_bound 1)".</summary>
    public override string ToString() =>
        $"{Metric}{(Procedure is null ? "" : $" [{Procedure}]")}: {Excluded} of {Checked} excluded" +
        (Excluded == 0 ? "" : $" ({string.Join(", ", FailedByCheck.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}"))})");
}
