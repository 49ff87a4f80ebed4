using LlcLab.Models;

namespace LlcLab.Unlearning;

/// <summary>
/// What a metric sees at one checkpoint: the checkpoint, the model built from it, the original
/// (pre-unlearning) model, the data and the run's seed.
/// </summary>
public sealed record CheckpointContext(UnlearningCheckpoint Checkpoint, Network Model, Network Original, UnlearningData Data, long Seed);

/// <summary>
/// One value a metric reports for a checkpoint; becomes one tidy results-table row (the runner
/// fills in experiment, model, procedure, step, seed and elapsed time). Optional fields map to the
/// table's columns of the same names (LLC estimates fill the sampler ones).
/// </summary>
public sealed record MetricValue(string Metric, double Value)
{
    public double? Std { get; init; }
    public string? Layer { get; init; }
    public string? DataSubset { get; init; }
    public int? NChains { get; init; }
    public int? NDraws { get; init; }
    public double? Lr { get; init; }
    public double? Localization { get; init; }
    public double? NBeta { get; init; }
}

/// <summary>
/// A metric evaluated at every checkpoint of an unlearning run (accuracies, probes, membership
/// inference, relearning time, LLC estimates, or your own). Implementations must be deterministic
/// given <see cref="CheckpointContext.Seed"/> and must not modify the models.
/// </summary>
public interface ICheckpointMetric
{
    /// <summary>Name used in error messages and the run manifest.</summary>
    string Name { get; }

    IEnumerable<MetricValue> Evaluate(CheckpointContext context);
}
