using System.Text.Json;
using LlcLab.Plots;
using Plotly.NET;
using Xunit;

namespace LlcLab.Tests.Plots;

public class ChartBuilderTests
{
    private static JsonElement Traces(GenericChart chart) =>
        JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement.GetProperty("data");

    private static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void LlcTrajectories_OneLinePerChainPlusTheMean()
    {
        var trace = new[] { new[] { 1.0, 2.0, 3.0 }, new[] { 5.0, 6.0, 7.0 } };
        var data = Traces(SamplerCharts.LlcTrajectories(trace));
        Assert.Equal(3, data.GetArrayLength());
        Assert.Equal(new[] { 5.0, 6.0, 7.0 }, Numbers(data[1].GetProperty("y")));
        Assert.Equal(new[] { 0.0, 1.0, 2.0 }, Numbers(data[1].GetProperty("x")));
        Assert.Equal(new[] { 4.0, 4.0 }, Numbers(data[2].GetProperty("y")));   // mean over all draws
    }

    [Fact]
    public void EstimatedVsTrue_HasIdentityLineAndStdErrorBars()
    {
        var pts = new[] { new GroundTruthPoint("a", 1.0, 1.1, 0.05), new GroundTruthPoint("b", 3.0, 2.8, 0.2) };
        var data = Traces(ValidationCharts.EstimatedVsTrue(pts, relativeTolerance: 0));
        var identity = data[0];
        var xs = Numbers(identity.GetProperty("x"));
        Assert.Equal(xs, Numbers(identity.GetProperty("y")));
        var markers = data[data.GetArrayLength() - 1];
        Assert.Equal(new[] { 1.0, 3.0 }, Numbers(markers.GetProperty("x")));
        Assert.Equal(new[] { 1.1, 2.8 }, Numbers(markers.GetProperty("y")));
        Assert.Equal(new[] { 0.05, 0.2 }, Numbers(markers.GetProperty("error_y").GetProperty("array")));
    }

    [Fact]
    public void CalibrationHeatmap_RowsAreLocalizationsColumnsAreStepSizes_DivergedIsBlank()
    {
        var cells = new[]
        {
            new CalibrationCell(1e-4, 1.0, 10), new CalibrationCell(1e-3, 1.0, 11),
            new CalibrationCell(1e-4, 100.0, 20), new CalibrationCell(1e-3, 100.0, double.NaN),
        };
        var json = GenericChart.toFigureJson(CalibrationCharts.Heatmap(cells));
        var data = JsonDocument.Parse(json).RootElement.GetProperty("data")[0];
        var z = data.GetProperty("z");
        Assert.Equal(10, z[0][0].GetDouble());
        Assert.Equal(11, z[0][1].GetDouble());
        Assert.Equal(20, z[1][0].GetDouble());
        Assert.NotEqual(JsonValueKind.Number, z[1][1].ValueKind);   // "NaN": plotly.js draws non-numbers as gaps
        Assert.Equal(new[] { "0.0001", "0.001" }, data.GetProperty("x").EnumerateArray().Select(e => e.GetString()).ToArray());
    }

    [Fact]
    public void GroupedBarsAndLines_CarryErrorBars()
    {
        var bars = EffectCharts.GroupedBars(new[]
        {
            new BarSeries("before", new[] { "parity", "random" }, new[] { 10.0, 10.5 }, new[] { 0.5, 0.25 }),
            new BarSeries("after", new[] { "parity", "random" }, new[] { 8.0, 10.25 }, new[] { 0.75, 0.5 }),
        }, "ΔLLC", "λ̂");
        var data = Traces(bars);
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal("bar", data[1].GetProperty("type").GetString());
        Assert.Equal(new[] { 0.75, 0.5 }, Numbers(data[1].GetProperty("error_y").GetProperty("array")));

        var lines = Traces(EffectCharts.Lines(new[] { new Series("inserted", new[] { 0.0, 0.5, 1.0 }, new[] { 3.0, 2.5, 2.0 }, new[] { 0.1, 0.2, 0.3 }) },
            "λ̂ vs t", "t", "λ̂"));
        Assert.Equal(new[] { 0.1, 0.2, 0.3 }, Numbers(lines[0].GetProperty("error_y").GetProperty("array")));
    }

    [Fact]
    public void ScatterWithFit_DrawsTheLeastSquaresLineAndShowsTheCorrelation()
    {
        var x = new[] { 0.0, 1.0, 2.0, 3.0 };
        var y = new[] { 1.0, 3.0, 5.0, 7.0 };   // y = 1 + 2x exactly
        var chart = CorrelationCharts.ScatterWithFit(x, y, "probe acc", "ΔLLC", new CorrelationLabel("Pearson r", 1, 0.9, 1));
        var fig = JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;
        var fit = fig.GetProperty("data")[1];
        Assert.Equal(new[] { 1.0, 7.0 }, Numbers(fit.GetProperty("y")));
        Assert.Contains("Pearson r = 1.00 [0.90, 1.00]", fig.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void MismatchedInputs_AreClearErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            EffectCharts.Lines(new[] { new Series("s", new[] { 1.0, 2.0 }, new[] { 1.0 }) }, "t", "x", "y"));
        Assert.Contains("must match", ex.Message);
        Assert.Throws<ArgumentException>(() => SamplerCharts.LlcTrajectories(Array.Empty<double[]>()));
        Assert.Throws<ArgumentException>(() => CalibrationCharts.Heatmap(new[] { 1e-3 }, new[] { 1.0, 2.0 }, new[] { new[] { 1.0 } }));
    }
}
