using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>Parameters saved at one training step (PyTorch names → CPU tensors), and where they were written if anywhere.</summary>
public sealed record TrainCheckpoint(long Step, int Epoch, IReadOnlyDictionary<string, Tensor>? State, string? Path);

/// <summary>What <see cref="Trainer.Train"/> did.</summary>
/// <param name="LossCurve">Minibatch loss at every optimizer step.</param>
/// <param name="EpochLosses">Mean minibatch loss of each epoch.</param>
/// <param name="TrainAccuracy">Accuracy on the training data at the end (null for regression).</param>
/// <param name="TestAccuracy">Accuracy on <see cref="TrainOptions.Test"/> at the end, if given.</param>
/// <param name="FinalLoss">Mean minibatch loss of the last epoch.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Epochs">Epochs started.</param>
/// <param name="Loss">The loss that was minimised.</param>
/// <param name="Checkpoints">Saved parameters (step 0, every <see cref="TrainOptions.CheckpointEvery"/> steps, and the last step).</param>
/// <param name="ElapsedSeconds">Wall-clock time.</param>
/// <param name="StopReason"><c>max-epochs</c>, <c>max-steps</c>, <c>target-accuracy</c> or <c>plateau</c>.</param>
public sealed record TrainResult(
    IReadOnlyList<double> LossCurve,
    IReadOnlyList<double> EpochLosses,
    double FinalLoss,
    double? TrainAccuracy,
    double? TestAccuracy,
    long Steps,
    int Epochs,
    string StopReason,
    LossKind Loss,
    IReadOnlyList<TrainCheckpoint> Checkpoints,
    double ElapsedSeconds)
{
    public override string ToString() =>
        $"{Steps} steps / {Epochs} epochs ({StopReason}), loss {FinalLoss:G4}" +
        (TrainAccuracy is { } a ? $", train acc {a:P1}" : "") + (TestAccuracy is { } t ? $", test acc {t:P1}" : "") + $", {ElapsedSeconds:F1} s";
}
