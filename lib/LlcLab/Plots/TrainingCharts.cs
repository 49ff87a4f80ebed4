using Plotly.NET;
using CChart = Plotly.NET.CSharp.Chart;

namespace LlcLab.Plots;

/// <summary>Training curves.</summary>
public static class TrainingCharts
{
    /// <summary>Mean training loss per epoch (log y axis, so late-training progress stays visible).</summary>
    public static GenericChart LossCurve(IReadOnlyList<double> lossPerEpoch, string title = "Training loss")
    {
        ArgumentNullException.ThrowIfNull(lossPerEpoch);
        if (lossPerEpoch.Count == 0) throw new ArgumentException("The loss curve is empty.", nameof(lossPerEpoch));
        return CChart.Line<int, double, string>(Enumerable.Range(1, lossPerEpoch.Count), lossPerEpoch, Name: "train loss")
            .WithTitles(title, "epoch", "mean cross-entropy (log)", logY: true);
    }
}
