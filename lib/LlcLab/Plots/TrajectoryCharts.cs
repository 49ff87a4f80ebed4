using LlcLab.Protocols;
using LlcLab.IO;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// Figures of λ̂ trajectories through unlearning (<see cref="UnlearningTrajectoryExperiment"/>). The x axis is the fraction of
/// the run, step / last step (LEACE: the strength t; INLP: rounds / K; gradient procedures: optimiser steps / Steps), so
/// procedures with different step counts share one axis. Validity follows <see cref="ExperimentCharts"/>: a point is the mean
/// over the seeds whose estimate passed the minimum check (<c>{metric}_valid</c>); a point where none passed is a grey open
/// marker (lines) or a grey "×" (heatmaps).
/// </summary>
public static class TrajectoryCharts
{
    /// <summary>
    /// Heatmap procedure × layer (rows) × checkpoint (columns) of the change of λ̂ from the run's start, per seed
    /// λ̂_k − λ̂_0 (or (λ̂_k − λ̂_0)/|λ̂_0| with <paramref name="relative"/>, so layers of different size share a colour scale),
    /// averaged over the seeds whose step-k estimate is valid. Cells with no valid seed are drawn empty with a grey ×.
    /// </summary>
    public static GenericChart Heatmap(ExperimentResult result, string metric, string dataSubset, IEnumerable<string> procedures,
        IEnumerable<string> layers, string title, bool relative = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        var procs = procedures.ToList(); var lays = layers.ToList();
        var rowsY = new List<string>();
        var z = new List<object?[]>();
        var xs = new SortedSet<double>();
        var cells = new List<(string Row, double X, double? Z, bool Valid)>();
        foreach (var p in procs)
            foreach (var layer in lays)
            {
                var rows = result.Rows(metric, p, layer: layer, dataSubset: dataSubset).Where(r => r.Step is not null && r.Seed is not null).ToList();
                if (rows.Count == 0) continue;
                string label = $"{p} · {layer}";
                rowsY.Add(label);
                long last = rows.Max(r => r.Step!.Value);
                var start = rows.Where(r => r.Step == rows.Min(q => q.Step)).ToDictionary(r => r.Seed!.Value, r => r.Value);
                foreach (var g in rows.GroupBy(r => r.Step!.Value).OrderBy(g => g.Key))
                {
                    double x = Math.Round(last == 0 ? 0 : (double)g.Key / last, 4);
                    xs.Add(x);
                    var ok = g.Where(r => Valid(result, metric, r) != false && start.ContainsKey(r.Seed!.Value)).ToList();
                    var d = ok.Select(r => r.Value - start[r.Seed!.Value]).Select((v, i) => relative ? v / Math.Abs(start[ok[i].Seed!.Value]) : v)
                        .Where(double.IsFinite).ToList();
                    cells.Add((label, x, d.Count > 0 ? d.Average() : null, d.Count > 0));
                }
            }
        if (rowsY.Count == 0) throw new InvalidOperationException($"No '{metric}' rows on subset '{dataSubset}' for {string.Join(", ", procs)} × {string.Join(", ", lays)} in {result.Name}.");
        var xList = xs.ToList();
        foreach (var label in rowsY)
            z.Add(xList.Select(x => cells.FirstOrDefault(c => c.Row == label && c.X == x) is { Z: { } v } ? (object?)v : null).ToArray());
        var heat = new Trace2D("heatmap");
        heat.SetProperty("x", xList.ToArray());
        heat.SetProperty("y", rowsY.ToArray());
        heat.SetProperty("z", z.ToArray());
        heat.SetProperty("colorscale", "RdBu");
        heat.SetProperty("zmid", 0.0);
        heat.SetProperty("hoverongaps", false);
        string zTitle = relative ? "(λ̂ − λ̂₀)/|λ̂₀|" : "λ̂ − λ̂₀";
        heat.SetProperty("colorbar", ChartStyle.Obj(("title", ChartStyle.Obj(("text", zTitle)))));
        heat.SetProperty("hovertemplate", $"%{{y}}<br>run fraction %{{x}}<br>{zTitle} = %{{z:.3~g}}<extra></extra>");
        var charts = new List<GenericChart> { GenericChart.ofTraceObject(true, heat) };
        var invalid = cells.Where(c => !c.Valid).ToList();
        if (invalid.Count > 0)
        {
            var t = new Trace2D("scatter");
            t.SetProperty("name", "failed validity");
            t.SetProperty("x", invalid.Select(c => c.X).ToArray());
            t.SetProperty("y", invalid.Select(c => c.Row).ToArray());
            t.SetProperty("mode", "markers");
            t.SetProperty("marker", ChartStyle.Obj(("color", ChartStyle.InvalidColor), ("size", 10), ("symbol", "x-thin-open"),
                ("line", ChartStyle.Obj(("color", ChartStyle.InvalidColor), ("width", 2)))));
            t.SetProperty("hovertemplate", "%{y}<br>run fraction %{x}<br>no seed valid<extra></extra>");
            charts.Add(GenericChart.ofTraceObject(true, t));
        }
        var chart = ChartStyle.Combine(charts).WithTitles(title, "fraction of the run (step / last step)", "procedure · layer");
        var layout = GenericChart.getLayout(chart);
        var y = Axis(layout, "yaxis");
        y.SetProperty("autorange", "reversed");
        y.SetProperty("type", "category");
        chart = GenericChart.setLayout(layout, chart);
        chart = chart.WithNote($"colour: mean over seeds with a valid estimate at that step; {(invalid.Count > 0 ? "grey ×: no valid seed" : "every cell has a valid seed")}");
        return chart;
    }

    /// <summary>λ̂ against the fraction of the run, one line per procedure, with 95 % t-intervals over the valid seeds
    /// (<see cref="ErrorBar.Ci"/>) and invalid points as grey open markers.</summary>
    public static GenericChart Lines(ExperimentResult result, string metric, string dataSubset, string layer, IEnumerable<string> procedures,
        string title, string yTitle = "λ̂", ErrorBar error = ErrorBar.Ci) =>
        Draw(result, procedures.Select(p => (p, metric)), dataSubset, layer, title, yTitle, error);

    /// <summary>Both readings of one procedure's trajectory, (A) at the checkpoint and (B) re-minimised on L_r, on one chart.</summary>
    public static GenericChart References(ExperimentResult result, string procedure, string dataSubset, string layer, string title, ErrorBar error = ErrorBar.Ci) =>
        Draw(result, [(procedure, TrajectoryLlc.CheckpointMetric), (procedure, TrajectoryLlc.ReminimisedMetric)], dataSubset, layer, title, "λ̂", error,
            name: (p, m) => m == TrajectoryLlc.CheckpointMetric ? $"{p}: (A) at the checkpoint" : $"{p}: (B) re-minimised on L_r");

    static GenericChart Draw(ExperimentResult result, IEnumerable<(string Procedure, string Metric)> lines, string dataSubset, string layer,
        string title, string yTitle, ErrorBar error, Func<string, string, string>? name = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var series = new List<Series>();
        foreach (var (p, metric) in lines)
        {
            var rows = result.Rows(metric, p, layer: layer, dataSubset: dataSubset).Where(r => r.Step is not null).ToList();
            if (rows.Count == 0) continue;
            long last = rows.Max(r => r.Step!.Value);
            var groups = rows.GroupBy(r => r.Step!.Value).OrderBy(g => g.Key).ToList();
            var pts = groups.Select(g => ExperimentCharts.Point(result, metric, g.ToList(), markInvalid: true)).ToList();
            series.Add(new Series(name?.Invoke(p, metric) ?? p, groups.Select(g => last == 0 ? 0 : (double)g.Key / last).ToArray(), pts.Select(q => q.S.Mean).ToArray(),
                pts.Select(q => q.S.HalfWidthOf(error)).ToArray(), pts.Select(q => q.Label).ToArray(), pts.Select(q => q.Valid).ToArray()));
        }
        if (series.Count == 0) throw new InvalidOperationException($"No rows for {string.Join(", ", lines)} on subset '{dataSubset}', layer '{layer}' in {result.Name}.");
        var chart = EffectCharts.Draw(EffectCharts.Check(series), lines: true, title, "fraction of the run (step / last step)", yTitle, logX: false, zeroLine: false,
            ErrorBars.Note(error, "the seeds that pass the validity check"), hoverOnlyLabels: true);
        // Failed-validity points can be orders of magnitude off (a checkpoint on a steep slope reads λ̂ ≈ −10⁵) and would flatten
        // every valid line: the y axis then spans the valid points, and a note counts the points left off it (they are in the table).
        var valid = series.SelectMany(q => q.Y.Select((v, i) => (v, e: q.Error?[i] ?? 0, ok: q.Valid?[i] ?? true))).Where(t => t.ok && double.IsFinite(t.v)).ToList();
        if (valid.Count == 0) return chart;
        double lo = valid.Min(t => t.v - t.e), hi = valid.Max(t => t.v + t.e), pad = Math.Max(0.08 * (hi - lo), 1e-3 * Math.Max(1, Math.Abs(hi)));
        (lo, hi) = (lo - pad, hi + pad);
        int off = series.Sum(q => q.Y.Where((v, i) => !(q.Valid?[i] ?? true) && double.IsFinite(v) && (v < lo || v > hi)).Count());
        if (off == 0) return chart;
        var layout = GenericChart.getLayout(chart);
        Axis(layout, "yaxis").SetProperty("range", new[] { lo, hi });
        return GenericChart.setLayout(layout, chart).WithNote($"{off} failed-validity point{(off == 1 ? "" : "s")} off the axis (the y range spans the valid points)");
    }

    static DynamicObj.DynamicObj Axis(DynamicObj.DynamicObj layout, string name)
    {
        if (layout.TryGetPropertyValue(name) is { } v && Microsoft.FSharp.Core.FSharpOption<object>.get_IsSome(v) && v.Value is DynamicObj.DynamicObj d) return d;
        var fresh = new DynamicObj.DynamicObj();
        layout.SetProperty(name, fresh);
        return fresh;
    }

    static bool? Valid(ExperimentResult result, string metric, ResultRow row)
    {
        var v = result.Rows(metric + "_valid", row.Procedure, row.Step, row.Model, row.Layer, row.DataSubset).Where(r => r.Seed == row.Seed).ToList();
        return v.Count == 0 ? null : v.All(r => r.Value > 0.5);
    }
}
