using LlcLab.Experiments;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>Figures drawn from an <see cref="ExperimentResult"/>'s tidy rows (means across seeds, ± std across seeds).</summary>
public static class ExperimentCharts
{
    /// <summary>
    /// A metric against a row's step for one or more procedures (e.g. λ̂ vs erasure strength: step = 100·t, divided by
    /// <paramref name="stepScale"/> for the x axis). Error bars: std across seeds.
    /// </summary>
    public static GenericChart MetricVsStep(ExperimentResult result, string metric, IEnumerable<string> procedures, string title,
        string xTitle, string yTitle, double stepScale = 1, string? layer = null, string? model = null, IReadOnlyDictionary<string, long>? extraPoints = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var series = new List<Series>();
        foreach (var p in procedures)
        {
            var groups = result.Rows(metric, p, layer: layer, model: model).Where(r => r.Step is not null)
                .GroupBy(r => r.Step!.Value).OrderBy(g => g.Key).ToList();
            if (groups.Count == 0) continue;
            var s = groups.Select(g => Stats.Summarize(g.Select(r => r.Value))).ToList();
            series.Add(new Series(p, groups.Select(g => g.Key / stepScale).ToArray(), s.Select(q => q.Mean).ToArray(), s.Select(q => q.Std).ToArray()));
        }
        if (series.Count == 0) throw new InvalidOperationException($"No '{metric}' rows for procedures {string.Join(", ", procedures)} in {result.Name}.");
        return EffectCharts.Lines(series, title, xTitle, yTitle);
    }

    /// <summary>
    /// Stage chart: mean ± std across seeds of <paramref name="metric"/> at the named (procedure, step) stages, e.g.
    /// before → inserted → folded → fine-tuned.
    /// </summary>
    public static GenericChart Stages(ExperimentResult result, string metric, IReadOnlyList<(string Label, string Procedure, long Step)> stages,
        string title, string yTitle, string? layer = null, string? dataSubset = null, string seriesName = "mean ± std over seeds")
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = stages.Select(st => result.Stat(metric, st.Procedure, st.Step, layer: layer, dataSubset: dataSubset)).ToArray();
        return EffectCharts.Stages(new[] { new BarSeries(seriesName, stages.Select(st => st.Label).ToArray(), s.Select(q => q.Mean).ToArray(), s.Select(q => q.Std).ToArray()) },
            title, yTitle);
    }

    /// <summary>Grouped bars of <paramref name="metric"/>: categories = the data subsets (or layers), one bar series per stage.</summary>
    public static GenericChart StagesBySubset(ExperimentResult result, string metric, IReadOnlyList<(string Label, string Procedure, long Step)> stages,
        IReadOnlyList<string> subsets, string title, string yTitle)
    {
        var bars = stages.Select(st =>
        {
            var s = subsets.Select(d => result.Stat(metric, st.Procedure, st.Step, dataSubset: d)).ToArray();
            return new BarSeries(st.Label, subsets, s.Select(q => q.Mean).ToArray(), s.Select(q => q.Std).ToArray());
        });
        return EffectCharts.GroupedBars(bars, title, yTitle);
    }
}
