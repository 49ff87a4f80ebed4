using LlcLab.Data;

namespace LlcLab.Models;

public enum OptimizerKind { Adam, Sgd }

/// <summary>One report per epoch from <see cref="Trainer.Train"/>.</summary>
public sealed record TrainProgress(int Epoch, long Step, double EpochLoss, double? TrainAccuracy, double? TestAccuracy);

/// <summary>
/// Settings of <see cref="Trainer.Train"/>. Defaults: Adam (Kingma &amp; Ba 2015) with lr 1e-3, β = (0.9, 0.999),
/// minibatches of 64, at most 100 epochs, stop when the epoch loss has not improved by a relative 1e-4 for
/// 10 epochs.
/// </summary>
public sealed record TrainOptions
{
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>SGD momentum (ignored by Adam).</summary>
    public double Momentum { get; init; } = 0.0;
    public double WeightDecay { get; init; } = 0.0;
    public int BatchSize { get; init; } = 64;
    public int MaxEpochs { get; init; } = 100;
    /// <summary>Stop after this many optimizer steps (null: no limit).</summary>
    public long? MaxSteps { get; init; }
    /// <summary>Loss; null chooses cross-entropy for int64 labels and MSE for float targets.</summary>
    public LossKind? Loss { get; init; }
    /// <summary>Seed of the private generator that shuffles the minibatches.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Stop once training accuracy (checked at the end of each epoch) reaches this value.</summary>
    public double? TargetAccuracy { get; init; }
    /// <summary>Stop when the epoch loss has not improved by <see cref="MinRelativeImprovement"/> for this many epochs (null: never).</summary>
    public int? Patience { get; init; } = 10;
    public double MinRelativeImprovement { get; init; } = 1e-4;
    /// <summary>Held-out data for <see cref="TrainResult.TestAccuracy"/> (and per-epoch progress when <see cref="EvaluateEachEpoch"/>).</summary>
    public Dataset? Test { get; init; }
    /// <summary>Compute train/test accuracy at each epoch for the progress callback (costs one forward pass each).</summary>
    public bool EvaluateEachEpoch { get; init; } = false;
    /// <summary>Keep a state-dict checkpoint every this many steps (plus step 0 and the final step); null: none.</summary>
    public long? CheckpointEvery { get; init; }
    /// <summary>Also write each checkpoint to <c>{dir}/step-{step:D7}.safetensors</c> (with the spec in the metadata).</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Keep checkpoints in memory (set false to only write files for long runs).</summary>
    public bool KeepCheckpointsInMemory { get; init; } = true;
    public Action<TrainProgress>? Progress { get; init; }
}
