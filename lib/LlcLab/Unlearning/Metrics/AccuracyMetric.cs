namespace LlcLab.Unlearning;

/// <summary>
/// Accuracy and mean cross-entropy on D_f, D_r and (if given) the test set:
/// metrics <c>accuracy</c> and <c>loss</c> with data_subset <c>forget</c> / <c>retain</c> / <c>test</c>.
/// A successful unlearning run matches the retrained model on all three (see <see cref="RetrainGap"/>).
/// </summary>
public sealed class AccuracyMetric : ICheckpointMetric
{
    public string Name => "accuracy";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        var sets = new List<(string, LabelledSubset)> { ("forget", c.Data.Forget), ("retain", c.Data.Retain) };
        if (c.Data.Test is { } test) sets.Add(("test", test));
        foreach (var (name, set) in sets)
        {
            yield return new MetricValue("accuracy", ModelEval.Accuracy(c.Model, set.X, set.Y)) { DataSubset = name };
            yield return new MetricValue("loss", ModelEval.PerSampleLoss(c.Model, set.X, set.Y).Average()) { DataSubset = name };
        }
    }
}
