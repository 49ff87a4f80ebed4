using System.Reflection;
using System.Text.Json;
using LlcLab.Analysis;
using LlcLab.Protocols;
using LlcLab.IO;
using LlcLab.Plots;
using Plotly.NET;
using Xunit;

namespace LlcLab.Tests.Plots;

/// <summary>The suite's one chart style: every builder applies it; invalid estimates are drawn apart; CIs; crowded labels move to hover.</summary>
public class ChartStyleTests
{
    private static JsonElement Figure(GenericChart c) => JsonDocument.Parse(GenericChart.toFigureJson(c)).RootElement;

    private static JsonElement[] Traces(GenericChart c) => Figure(c).GetProperty("data").EnumerateArray().ToArray();

    private static double[] Numbers(JsonElement a) => a.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static readonly double[][] Trace = { new[] { 1.0, 2.0, 3.0 }, new[] { 2.0, 3.0, 4.0 } };

    /// <summary>(λ̂, valid) per seed 0…2 at step 0 ("none") and step 100 ("erased"): at step 100 no seed is valid.</summary>
    private static ExperimentResult Result()
    {
        var t = new ResultsTable();
        foreach (var seed in new long[] { 0, 1, 2 })
        {
            t.Add(LlcRows.Metric("e", "m", "llc", 5 + seed, "none", seed, 0, "h1"));
            t.Add(LlcRows.Metric("e", "m", "llc_valid", seed == 2 ? 0 : 1, "none", seed, 0, "h1"));   // seed 2 fails at step 0
            t.Add(LlcRows.Metric("e", "m", "llc", -20 - seed, "erased", seed, 100, "h1"));
            t.Add(LlcRows.Metric("e", "m", "llc_valid", 0, "erased", seed, 100, "h1"));
            t.Add(LlcRows.Metric("e", "m", "llc_data_restricted", 3 + seed, "none", seed, 0, dataSubset: "a"));
            t.Add(LlcRows.Metric("e", "m", "llc_data_restricted_valid", 0, "none", seed, 0, dataSubset: "a"));
        }
        return new ExperimentResult("e", t);
    }

    /// <summary>One chart from every public builder, by name; the reflection test below fails when a builder is added without one.</summary>
    private static IEnumerable<(string Builder, GenericChart Chart)> EveryBuilder()
    {
        var r = Result();
        var stages = new (string, string, long)[] { ("before", "none", 0), ("erased", "erased", 100) };
        var s = new[] { new Series("a", new[] { 1.0, 2.0 }, new[] { 3.0, 4.0 }, new[] { 0.1, 0.2 }) };
        var bars = new[] { new BarSeries("b", new[] { "x", "y" }, new[] { 1.0, 2.0 }) };
        var outcome = new ErasureOutcome("LEACE", 0.9, 0.5, 0.5, 1.0, 1, 0.4);
        yield return ("SamplerCharts.LlcTrajectories", SamplerCharts.LlcTrajectories(Trace));
        yield return ("SamplerCharts.LossTraces", SamplerCharts.LossTraces(Trace, 1.0));
        yield return ("TrainingCharts.LossCurve", TrainingCharts.LossCurve(new[] { 1.0, 0.5 }));
        yield return ("ValidationCharts.EstimatedVsTrue", ValidationCharts.EstimatedVsTrue(new[] { new GroundTruthPoint("a", 1, 1.1, 0.1) }));
        yield return ("CalibrationCharts.Heatmap", CalibrationCharts.Heatmap(new[] { new CalibrationCell(1e-4, 1, 2) }));
        yield return ("CorrelationCharts.ScatterWithFit", CorrelationCharts.ScatterWithFit(new[] { 1.0, 2.0, 3.0 }, new[] { 1.0, 2.0, 2.5 }, "x", "y"));
        yield return ("EffectCharts.Lines", EffectCharts.Lines(s, "t", "x", "y"));
        yield return ("EffectCharts.Scatter", EffectCharts.Scatter(s, "t", "x", "y"));
        yield return ("EffectCharts.Stages", EffectCharts.Stages(bars, "t"));
        yield return ("EffectCharts.GroupedBars", EffectCharts.GroupedBars(bars, "t", "y"));
        yield return ("ExperimentCharts.MetricVsStep", ExperimentCharts.MetricVsStep(r, "llc", new[] { "none", "erased" }, "t", "x", "y"));
        yield return ("ExperimentCharts.Stages", ExperimentCharts.Stages(r, "llc", stages, "t", "y"));
        yield return ("ExperimentCharts.StagesBySubset", ExperimentCharts.StagesBySubset(r, "llc_data_restricted", stages.Take(1).ToArray(), new[] { "a" }, "t", "y"));
        yield return ("ErasureCharts.AccuracyVsEdit", ErasureCharts.AccuracyVsEdit(new[] { outcome }));
        yield return ("ErasureCharts.InlpTrace", ErasureCharts.InlpTrace(new (string, IReadOnlyList<InlpTracePoint>)[] { ("r", new[] { new InlpTracePoint(0, 0, 0.9, 0.5, 0), new InlpTracePoint(1, 1, 0.6, 0.5, 0.1) }) }));
        yield return ("ErasureCharts.RemovedVsEdit", ErasureCharts.RemovedVsEdit(new (string, IReadOnlyList<ErasureOutcome>)[] { ("r", new[] { outcome }) }));
        var traj = new ResultsTable();
        foreach (var metric in new[] { TrajectoryLlc.CheckpointMetric, TrajectoryLlc.ReminimisedMetric })
            for (int k = 0; k <= 2; k++)
            {
                traj.Add(LlcRows.Metric("e", "m", metric, 5 + k, "p", 0, k, "fc1", "retain"));
                traj.Add(LlcRows.Metric("e", "m", metric + "_valid", k == 2 ? 0 : 1, "p", 0, k, "fc1", "retain"));
            }
        var tr = new ExperimentResult("e", traj);
        yield return ("TrajectoryCharts.Heatmap", TrajectoryCharts.Heatmap(tr, TrajectoryLlc.CheckpointMetric, "retain", new[] { "p" }, new[] { "fc1" }, "t"));
        yield return ("TrajectoryCharts.Lines", TrajectoryCharts.Lines(tr, TrajectoryLlc.CheckpointMetric, "retain", "fc1", new[] { "p" }, "t"));
        yield return ("TrajectoryCharts.References", TrajectoryCharts.References(tr, "p", "retain", "fc1", "t"));
    }

    [Fact]
    public void EveryPublicBuilder_IsCoveredByTheStyleTest()
    {
        var styleHelpers = new[] { typeof(ChartStyle) };
        var builders = typeof(ChartStyle).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "LlcLab.Plots" && !styleHelpers.Contains(t) && t != typeof(ChartExport))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.ReturnType == typeof(GenericChart)).Select(m => $"{t.Name}.{m.Name}"))
            .Distinct().Order().ToArray();
        Assert.NotEmpty(builders);
        Assert.Equal(builders, EveryBuilder().Select(b => b.Builder).Distinct().Order().ToArray());
    }

    [Fact]
    public void EveryBuilder_AppliesTheSuiteStyle()
    {
        foreach (var (name, chart) in EveryBuilder())
        {
            var layout = Figure(chart).GetProperty("layout");
            Assert.False(layout.TryGetProperty("width", out _), $"{name}: fixed width");          // responsive: fills its container
            Assert.False(layout.TryGetProperty("height", out _), $"{name}: fixed height");
            Assert.True(layout.GetProperty("autosize").GetBoolean(), name);
            var legend = layout.GetProperty("legend");
            Assert.Equal("h", legend.GetProperty("orientation").GetString());
            Assert.Equal("container", legend.GetProperty("yref").GetString());                  // its own strip below the x-axis title
            Assert.Equal(0, legend.GetProperty("y").GetDouble());
            Assert.Equal(72, layout.GetProperty("margin").GetProperty("l").GetInt32());
            Assert.Equal("white", layout.GetProperty("plot_bgcolor").GetString());
            Assert.Equal("left", layout.GetProperty("title").GetProperty("xanchor").GetString());
            Assert.True(layout.GetProperty("xaxis").GetProperty("automargin").GetBoolean(), name);
            Assert.True(layout.GetProperty("yaxis").GetProperty("title").TryGetProperty("text", out _) || name.StartsWith("CalibrationCharts"), $"{name}: y-axis title");
        }
    }

    [Fact]
    public void InvalidPoints_AreGreyOpenMarkers_OutOfTheLine_WithANote()
    {
        var chart = EffectCharts.Lines(new[] { new Series("inserted", new[] { 0.0, 0.5, 1.0 }, new[] { 5.0, 6.0, -23.0 }, new[] { 1.0, 1.0, 5.0 }, Valid: new[] { true, true, false }) },
            "λ̂ vs t", "t", "λ̂");
        var data = Traces(chart);
        Assert.Equal(2, data.Length);
        var valid = data[0];
        Assert.Equal("lines+markers", valid.GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, valid.GetProperty("y")[2].ValueKind);                  // the line breaks at the invalid point
        var invalid = data[1];
        Assert.Equal("failed validity", invalid.GetProperty("name").GetString());
        Assert.Equal(new[] { 1.0 }, Numbers(invalid.GetProperty("x")));
        Assert.Equal(new[] { -23.0 }, Numbers(invalid.GetProperty("y")));
        Assert.Equal("circle-open", invalid.GetProperty("marker").GetProperty("symbol").GetString());
        Assert.Equal(ChartStyle.InvalidColor, invalid.GetProperty("marker").GetProperty("color").GetString());
        Assert.NotEqual(ChartStyle.InvalidColor, valid.GetProperty("marker").GetProperty("color").GetString());
        Assert.Contains(ChartStyle.InvalidNote, ChartStyle.Notes(chart));

        var allValid = EffectCharts.Lines(new[] { new Series("s", new[] { 0.0 }, new[] { 1.0 }) }, "t", "x", "y");
        Assert.Single(Traces(allValid));
        Assert.Empty(ChartStyle.Notes(allValid));
    }

    [Fact]
    public void InvalidPoints_OneLegendEntryForTheWholeChart_AndLeftOutOfTheFit()
    {
        var chart = EffectCharts.Scatter(new[]
        {
            new Series("a", new[] { 1.0, 2.0 }, new[] { 1.0, 2.0 }, Valid: new[] { false, true }),
            new Series("b", new[] { 1.0, 2.0 }, new[] { 3.0, 4.0 }, Valid: new[] { true, false }),
        }, "t", "x", "y");
        var invalid = Traces(chart).Where(t => t.GetProperty("name").GetString() == "failed validity").ToArray();
        Assert.Equal(2, invalid.Length);
        Assert.Equal(new[] { true, false }, invalid.Select(t => t.GetProperty("showlegend").GetBoolean()).ToArray());

        // y = x on the valid points; the invalid outlier would pull the least-squares line away.
        var fit = CorrelationCharts.ScatterWithFit(new[] { 0.0, 1.0, 2.0, 3.0 }, new[] { 0.0, 1.0, 2.0, 100.0 }, "x", "y", valid: new[] { true, true, true, false });
        var line = Traces(fit).Single(t => t.GetProperty("name").GetString()!.StartsWith("fit"));
        Assert.Equal(new[] { 0.0, 2.0 }, Numbers(line.GetProperty("y")), new ToleranceComparer(1e-9));
        Assert.Contains("fit over the valid points only", ChartStyle.Notes(fit));
    }

    [Fact]
    public void ExperimentCharts_UseValiditySeedsAndMarkPointsWithoutAValidSeed()
    {
        var chart = ExperimentCharts.MetricVsStep(Result(), "llc", new[] { "none", "erased" }, "t", "x", "λ̂", error: ErrorBar.Ci);
        var data = Traces(chart);
        var none = data.Single(t => t.GetProperty("name").GetString() == "none");
        Assert.Equal(new[] { 5.5 }, Numbers(none.GetProperty("y")));                           // mean of seeds 0 and 1; seed 2 failed
        var half = Stats.Summarize(new[] { 5.0, 6.0 }).HalfWidth;
        Assert.Equal(half, none.GetProperty("error_y").GetProperty("array")[0].GetDouble(), 9);  // CI half-width, not std
        Assert.Contains("2 of 3 seeds valid", none.GetProperty("text")[0].GetString());
        Assert.DoesNotContain("text", none.GetProperty("mode").GetString());                    // the count is hover text, not printed
        var invalid = data.Single(t => t.GetProperty("name").GetString() == "failed validity");
        Assert.Equal(new[] { -21.0 }, Numbers(invalid.GetProperty("y")));                       // no seed valid: mean of all, drawn open grey
        var notes = ChartStyle.Notes(chart);
        Assert.Contains(ChartStyle.InvalidNote, notes);
        Assert.Contains(notes, n => n.Contains("95") && n.Contains("t-interval"));

        var old = ExperimentCharts.MetricVsStep(Result(), "llc", new[] { "none", "erased" }, "t", "x", "λ̂", markInvalid: false);
        Assert.DoesNotContain(Traces(old), t => t.GetProperty("name").GetString() == "failed validity");
        Assert.Equal(Stats.Summarize(new[] { 5.0, 6.0, 7.0 }).Std, Traces(old)[0].GetProperty("error_y").GetProperty("array")[0].GetDouble(), 9);

        var bars = Traces(ExperimentCharts.StagesBySubset(Result(), "llc_data_restricted", new[] { ("before", "none", 0L) }, new[] { "a" }, "t", "y"));
        Assert.Equal(ChartStyle.InvalidColor, bars[0].GetProperty("marker").GetProperty("line").GetProperty("color")[0].GetString());
        Assert.Equal("rgba(0,0,0,0)", bars[0].GetProperty("marker").GetProperty("color")[0].GetString());
    }

    [Fact]
    public void CrowdedLabels_MoveToTheHoverText_FewArePrinted()
    {
        Series Labelled(int n) => new("s", Enumerable.Range(0, n).Select(i => (double)i).ToArray(), Enumerable.Range(0, n).Select(i => (double)i).ToArray(),
            Labels: Enumerable.Range(0, n).Select(i => $"arch{i}").ToArray());
        var crowded = Traces(EffectCharts.Scatter(new[] { Labelled(ChartStyle.MaxPrintedLabels + 1) }, "t", "parameters", "λ̂"))[0];
        Assert.Equal("markers", crowded.GetProperty("mode").GetString());
        Assert.Equal("arch3", crowded.GetProperty("text")[3].GetString());
        Assert.Contains("%{text}", crowded.GetProperty("hovertemplate").GetString());
        Assert.Contains("parameters", crowded.GetProperty("hovertemplate").GetString());
        var sparse = Traces(EffectCharts.Scatter(new[] { Labelled(3) }, "t", "x", "y"))[0];
        Assert.Equal("markers+text", sparse.GetProperty("mode").GetString());
        // Few points, but two nearly on top of each other (notebook 01's ground truth: λ = 7.5 twice): hover only.
        var close = new Series("s", new[] { 4.0, 7.5, 7.5, 8.0 }, new[] { 3.4, 7.7, 7.4, 7.6 }, Labels: new[] { "a", "b", "c", "d" });
        Assert.Equal("markers", Traces(EffectCharts.Scatter(new[] { close }, "t", "x", "y"))[0].GetProperty("mode").GetString());
    }

    [Fact]
    public void ErrorBars_CiHalfWidthAndNote()
    {
        var s = Stats.Summarize(new[] { 1.0, 2.0, 4.0 });
        Assert.Equal(s.HalfWidth, s.HalfWidthOf(ErrorBar.Ci));
        Assert.Equal(s.Std, s.HalfWidthOf(ErrorBar.Std));
        Assert.Equal(0, Stats.Summarize(new[] { 3.0 }).HalfWidthOf(ErrorBar.Ci));               // one seed: no interval, no bar
        Assert.Contains("t-interval", ErrorBars.Note(ErrorBar.Ci));
        var p = new GroundTruthPoint("a", 1, 1, 0.2, Chains: 4);
        Assert.Equal(MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, 3, 0.975) * 0.2 / 2, p.HalfWidth(ErrorBar.Ci), 12);
        Assert.Throws<ArgumentException>(() => ValidationCharts.EstimatedVsTrue(new[] { new GroundTruthPoint("a", 1, 1, 0.2) }, error: ErrorBar.Ci));
        Assert.Throws<ArgumentException>(() => EffectCharts.Lines(new[] { new Series("s", new[] { 1.0 }, new[] { 1.0 }, Valid: new[] { true, false }) }, "t", "x", "y"));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double v) => 0;
    }
}
