using LlcLab.Protocols;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>Figures for comparing concept erasers (notebook 02).</summary>
public static class ErasureCharts
{
    /// <summary>
    /// Probe accuracy after erasure (y) vs mean squared edit ‖x′ − x‖² (x, log scale), one labelled point per method,
    /// with the chance level and the pre-erasure accuracy as reference lines. Best erasers sit bottom-left.
    /// </summary>
    public static GenericChart AccuracyVsEdit(IEnumerable<ErasureOutcome> outcomes, string title = "Probe accuracy after erasure vs size of the edit")
    {
        var o = outcomes?.ToArray() ?? throw new ArgumentNullException(nameof(outcomes));
        if (o.Length == 0) throw new ArgumentException("No erasure outcomes to plot.", nameof(outcomes));
        double lo = o.Min(q => q.MeanSquaredEdit), hi = o.Max(q => q.MeanSquaredEdit);
        if (hi <= lo) { lo *= 0.9; hi *= 1.1; }
        var series = new List<Series>
        {
            new("methods", o.Select(q => q.MeanSquaredEdit).ToArray(), o.Select(q => q.ProbeAccuracyAfter).ToArray(), Labels: o.Select(q => q.Method).ToArray()),
        };
        var pts = EffectCharts.Scatter(series, title, "mean squared edit ‖x′ − x‖² (log)", "probe accuracy after erasure", logX: true);
        var chance = Plotly.NET.CSharp.Chart.Line<double, double, string>(new[] { lo, hi }, new[] { o[0].Chance, o[0].Chance },
            Name: "chance", LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray"));
        var before = Plotly.NET.CSharp.Chart.Line<double, double, string>(new[] { lo, hi }, new[] { o[0].ProbeAccuracyBefore, o[0].ProbeAccuracyBefore },
            Name: "before erasure", LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("black"));
        return ChartStyle.Combine(pts, chance, before).WithTitles(title, "mean squared edit ‖x′ − x‖² (log)", "probe accuracy after erasure", logX: true);
    }

    /// <summary>
    /// INLP step by step: held-out probe accuracy (y) after each projection round (x; 0 = before erasure), one line per
    /// representation, with the chance level of the first trace as a dashed reference. Hover shows the rank removed.
    /// </summary>
    public static GenericChart InlpTrace(IReadOnlyList<(string Name, IReadOnlyList<InlpTracePoint> Trace)> traces, string title = "INLP: probe accuracy vs projection rounds")
    {
        if (traces is null || traces.Count == 0 || traces.Any(t => t.Trace.Count == 0)) throw new ArgumentException("Give at least one non-empty INLP trace.", nameof(traces));
        var series = traces.Select(t => new Series(t.Name, t.Trace.Select(p => (double)p.Iteration).ToArray(), t.Trace.Select(p => p.ProbeAccuracy).ToArray(),
            Labels: t.Trace.Select(p => $"rank {p.Rank}").ToArray())).ToList();
        var lines = EffectCharts.Lines(series, title, "INLP round (directions projected out so far)", "held-out probe accuracy");
        double maxX = traces.Max(t => t.Trace[^1].Iteration);
        var chances = traces.Select(t => Plotly.NET.CSharp.Chart.Line<double, double, string>(new[] { 0.0, Math.Max(1, maxX) }, new[] { t.Trace[0].Chance, t.Trace[0].Chance },
            Name: $"chance ({t.Name})", LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("gray")));
        return ChartStyle.Combine(new[] { lines }.Concat(chances)).WithTitles(title, "INLP round (directions projected out so far)", "held-out probe accuracy");
    }

    /// <summary>
    /// Accuracy removed (probe before − after, in points; y) vs the mean edit length mean ‖x′ − x‖ (x), one series per
    /// representation and one labelled point per method: the trade-off the methods make (top-left is best).
    /// </summary>
    public static GenericChart RemovedVsEdit(IReadOnlyList<(string Name, IReadOnlyList<ErasureOutcome> Outcomes)> sets, string title = "Accuracy removed vs size of the edit")
    {
        if (sets is null || sets.Count == 0 || sets.Any(t => t.Outcomes.Count == 0)) throw new ArgumentException("Give at least one non-empty set of erasure outcomes.", nameof(sets));
        var series = sets.Select(t => new Series(t.Name, t.Outcomes.Select(o => o.MeanEditNorm).ToArray(), t.Outcomes.Select(o => 100 * o.AccuracyRemoved).ToArray(),
            Labels: t.Outcomes.Select(o => o.Method).ToArray())).ToList();
        return EffectCharts.Scatter(series, title, "mean edit length ‖x′ − x‖", "probe accuracy removed (points)", zeroLine: true);
    }
}
