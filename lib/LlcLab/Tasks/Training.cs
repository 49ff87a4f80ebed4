using LlcLab.Data;
using LlcLab.Models;

namespace LlcLab.Tasks;

/// <summary>The experiments' training call: a fixed number of Adam epochs with cross-entropy (no early stop,
/// so repeats across seeds do the same amount of work), delegating to the shared <see cref="Trainer"/>.</summary>
public static class Training
{
    /// <summary>
    /// Trains <paramref name="net"/> in place for <paramref name="epochs"/> epochs on <paramref name="data"/>
    /// (Adam, lr <paramref name="lr"/>, minibatches of <paramref name="batchSize"/> in a seeded order). Returns the mean loss per epoch.
    /// </summary>
    public static IReadOnlyList<double> Fit(Network net, Dataset data, int epochs, double lr = 1e-3, int batchSize = 64, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(data);
        if (epochs < 0) throw new ArgumentException($"epochs must be ≥ 0, got {epochs}.", nameof(epochs));
        if (epochs == 0) return [];
        var result = Trainer.Train(net, data, new TrainOptions
        {
            LearningRate = lr, BatchSize = batchSize, MaxEpochs = epochs, Seed = seed,
            Loss = LossKind.CrossEntropy, Patience = null, KeepCheckpointsInMemory = false,
        });
        return result.EpochLosses;
    }
}
