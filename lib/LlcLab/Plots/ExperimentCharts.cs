using LlcLab.Analysis;
using LlcLab.IO;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// Figures drawn from an <see cref="ExperimentResult"/>'s tidy rows: means across seeds with error bars (± std across seeds
/// by default, or the Student-t CI of the mean with <see cref="ErrorBar.Ci"/>; the chart's note says which).
/// <para>Validity: when the result holds <c>{metric}_valid</c> companion rows (<see cref="LlcRows.Validity"/>) and
/// <c>markInvalid</c> is true (the default), a point is the mean over the seeds whose estimate passed the check, and a
/// point where no seed passed is drawn as a grey open marker (mean over all its seeds). The hover text gives the count.
/// With <c>markInvalid</c> = false every seed counts and every point is drawn alike (the old behaviour).</para>
/// </summary>
public static class ExperimentCharts
{
    /// <summary>
    /// A metric against a row's step for one or more procedures (e.g. λ̂ vs erasure strength: step = 100·t, divided by
    /// <paramref name="stepScale"/> for the x axis).
    /// </summary>
    public static GenericChart MetricVsStep(ExperimentResult result, string metric, IEnumerable<string> procedures, string title,
        string xTitle, string yTitle, double stepScale = 1, string? layer = null, string? model = null, IReadOnlyDictionary<string, long>? extraPoints = null,
        ErrorBar error = ErrorBar.Std, bool markInvalid = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        _ = extraPoints;
        var series = new List<Series>();
        foreach (var p in procedures)
        {
            var groups = result.Rows(metric, p, layer: layer, model: model).Where(r => r.Step is not null)
                .GroupBy(r => r.Step!.Value).OrderBy(g => g.Key).ToList();
            if (groups.Count == 0) continue;
            var points = groups.Select(g => Point(result, metric, g.ToList(), markInvalid)).ToList();
            series.Add(new Series(p, groups.Select(g => g.Key / stepScale).ToArray(), points.Select(q => q.S.Mean).ToArray(),
                points.Select(q => q.S.HalfWidthOf(error)).ToArray(), points.Select(q => q.Label).ToArray(), points.Select(q => q.Valid).ToArray()));
        }
        if (series.Count == 0) throw new InvalidOperationException($"No '{metric}' rows for procedures {string.Join(", ", procedures)} in {result.Name}.");
        // The "k of n seeds valid" labels are hover text, never printed.
        return EffectCharts.Draw(EffectCharts.Check(series), lines: true, title, xTitle, yTitle, logX: false, zeroLine: false,
            Note(result, metric, error, markInvalid), hoverOnlyLabels: true);
    }

    /// <summary>
    /// Stage chart: mean and error bar across seeds of <paramref name="metric"/> at the named (procedure, step) stages, e.g.
    /// before → inserted → folded → fine-tuned.
    /// </summary>
    public static GenericChart Stages(ExperimentResult result, string metric, IReadOnlyList<(string Label, string Procedure, long Step)> stages,
        string title, string yTitle, string? layer = null, string? dataSubset = null, string seriesName = "mean ± std over seeds",
        ErrorBar error = ErrorBar.Std, bool markInvalid = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stages);
        var pts = stages.Select(st =>
        {
            var rows = result.Rows(metric, st.Procedure, st.Step, layer: layer, dataSubset: dataSubset).ToList();
            if (rows.Count == 0) throw new InvalidOperationException($"No rows for metric '{metric}', procedure '{st.Procedure}', step {st.Step} in {result.Name}.");
            return Point(result, metric, rows, markInvalid);
        }).ToArray();
        if (error == ErrorBar.Ci && seriesName == "mean ± std over seeds") seriesName = "mean over seeds";
        return EffectCharts.Stages(new[] { new BarSeries(seriesName, stages.Select(st => st.Label).ToArray(), pts.Select(q => q.S.Mean).ToArray(),
                pts.Select(q => q.S.HalfWidthOf(error)).ToArray(), pts.Select(q => q.Valid).ToArray()) },
            title, yTitle, Note(result, metric, error, markInvalid));
    }

    /// <summary>Grouped bars of <paramref name="metric"/>: categories = the data subsets, one bar series per stage.</summary>
    public static GenericChart StagesBySubset(ExperimentResult result, string metric, IReadOnlyList<(string Label, string Procedure, long Step)> stages,
        IReadOnlyList<string> subsets, string title, string yTitle, ErrorBar error = ErrorBar.Std, bool markInvalid = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        var bars = stages.Select(st =>
        {
            var s = subsets.Select(d =>
            {
                var rows = result.Rows(metric, st.Procedure, st.Step, dataSubset: d).ToList();
                if (rows.Count == 0) throw new InvalidOperationException($"No rows for metric '{metric}', procedure '{st.Procedure}', step {st.Step}, subset '{d}' in {result.Name}.");
                return Point(result, metric, rows, markInvalid);
            }).ToArray();
            return new BarSeries(st.Label, subsets, s.Select(q => q.S.Mean).ToArray(), s.Select(q => q.S.HalfWidthOf(error)).ToArray(), s.Select(q => q.Valid).ToArray());
        });
        return EffectCharts.GroupedBars(bars, title, yTitle, errorNote: Note(result, metric, error, markInvalid));
    }

    /// <summary>
    /// One plotted point from the rows of one (procedure, step[, subset]) group: the summary over the seeds that passed the
    /// validity check (all seeds when there are no validity rows or <paramref name="markInvalid"/> is false), whether any
    /// passed, and the hover label "k of n seeds valid".
    /// </summary>
    internal static (Summary S, bool Valid, string Label) Point(ExperimentResult result, string metric, IReadOnlyList<ResultRow> rows, bool markInvalid)
    {
        var all = Stats.Summarize(rows.Select(r => r.Value));
        if (!markInvalid) return (all, true, $"n = {rows.Count}");
        var flags = rows.Select(r => ValidityOf(result, metric, r)).ToArray();
        if (flags.All(f => f is null)) return (all, true, $"n = {rows.Count} (no validity check)");
        var ok = rows.Where((r, i) => flags[i] != false).ToArray();
        string label = $"{ok.Length} of {rows.Count} seeds valid";
        return ok.Length == 0 ? (all, false, label) : (Stats.Summarize(ok.Select(r => r.Value)), true, label);
    }

    /// <summary>The validity companion of <paramref name="row"/> (same model, procedure, step, seed, layer, subset): true, false, or
    /// null when there is none. The strict <c>{metric}_strict_valid</c> (minimum and sampler health: R̂, MALA) wins over
    /// <c>{metric}_valid</c> (minimum only) when present, so the charts mark exactly the estimates the verdicts exclude.</summary>
    private static bool? ValidityOf(ExperimentResult result, string metric, ResultRow row)
    {
        var v = result.Rows(metric + "_strict_valid", row.Procedure, row.Step, row.Model, row.Layer, row.DataSubset)
            .Where(r => r.Seed == row.Seed).ToList();
        if (v.Count == 0)
            v = result.Rows(metric + "_valid", row.Procedure, row.Step, row.Model, row.Layer, row.DataSubset)
                .Where(r => r.Seed == row.Seed).ToList();
        return v.Count == 0 ? null : v.All(r => r.Value > 0.5);
    }

    private static string Note(ExperimentResult result, string metric, ErrorBar error, bool markInvalid)
    {
        bool checkedRows = markInvalid && (result.Rows(metric + "_valid").Any() || result.Rows(metric + "_strict_valid").Any());
        return ErrorBars.Note(error, checkedRows ? "the seeds that pass the validity check" : "seeds");
    }
}
