using LlcLab.Data;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Tasks;

/// <summary>
/// The per-process caches of the task fixtures. Training is deterministic given (task data, architecture, seed, epochs,
/// device): the same initialisation from the seed, the same seeded minibatch order, the same data rows. So notebooks that run
/// several protocols in one session (e.g. 07) reuse trained weights instead of retraining. The cache holds copies of the
/// state dicts, detached from every dispose scope, so disposing a task's model never frees them.
/// </summary>
internal static class TaskCache
{
    static readonly Dictionary<(string Task, string Arch, long Seed, int Epochs, string Device), (Dictionary<string, Tensor> State, IReadOnlyList<double> Curve)> Trained = new();

    /// <summary>
    /// Trains the freshly created <paramref name="net"/> (architecture <paramref name="arch"/>, initialised from <paramref name="seed"/>)
    /// for <paramref name="epochs"/> epochs on <paramref name="train"/> with <see cref="Training.Fit"/> (Adam, lr 1e-3, batch 64), or,
    /// when this process already trained that combination on the rows named <paramref name="task"/>, loads those weights into it.
    /// Returns the mean training loss per epoch of the (first) run.
    /// </summary>
    public static IReadOnlyList<double> TrainOrLoad(Network net, string task, string arch, Dataset train, int epochs, long seed)
    {
        ArgumentNullException.ThrowIfNull(net);
        var key = (task, arch, seed, epochs, net.Device.ToString());
        lock (Trained)
        {
            if (Trained.TryGetValue(key, out var hit))
            {
                net.LoadStateDict(hit.State);
                return hit.Curve;
            }
            var curve = Training.Fit(net, train, epochs, seed: seed);
            var state = net.StateDict();
            foreach (var t in state.Values) t.DetachFromDisposeScope();
            Trained[key] = (state, curve);
            return curve;
        }
    }

    /// <summary>Detaches the tensors of <paramref name="d"/> (features, targets, concepts) from every dispose scope, so a data set
    /// cached for the whole process outlives the scope it was loaded in.</summary>
    public static Dataset Keep(Dataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        d.X.DetachFromDisposeScope(); d.Y.DetachFromDisposeScope();
        foreach (var c in d.Concepts.Values) c.DetachFromDisposeScope();
        return d;
    }
}
