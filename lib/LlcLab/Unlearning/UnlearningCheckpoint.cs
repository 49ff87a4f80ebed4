using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Which training rows a procedure has touched so far (cumulative). Rows are reported as source
/// indices when the subset carries <see cref="LabelledSubset.Indices"/>, else as row numbers within
/// the subset. A retrain-from-scratch run must show <see cref="ForgetRows"/> empty.
/// </summary>
public sealed record DataUsage(long ForgetDraws, long RetainDraws, long[] ForgetRows, long[] RetainRows)
{
    public static DataUsage None { get; } = new(0, 0, [], []);
}

/// <summary>An affine map h ↦ h·Matrixᵀ + Offset applied to hidden layer <see cref="Layer"/> (a concept eraser acting
/// inside the network). In an <see cref="UnlearningCheckpoint"/> it is already folded into the weights of the layer
/// that reads <see cref="Layer"/>, so the checkpoint has the original architecture; probes use it to see the erased
/// representation.</summary>
public sealed record InsertedAffine(string Layer, Tensor Matrix, Tensor Offset);

/// <summary>
/// One point along an unlearning procedure: its <see cref="Step"/> (optimizer updates so far, or the
/// index along an eraser's strength schedule), the model's parameters (<see cref="State"/>, PyTorch
/// names), wall time since the procedure started, and what data it has used.
/// Step 0 is always the model before unlearning (for retraining: the fresh initialisation).
/// </summary>
public sealed record UnlearningCheckpoint(string Procedure, int Step, IReadOnlyDictionary<string, Tensor> State, double ElapsedSeconds, DataUsage Usage)
{
    /// <summary>Eraser strength t ∈ [0, 1] for eraser procedures; null for optimisation procedures.</summary>
    public double? Strength { get; init; }

    /// <summary>Erasers acting inside the model at this point (eraser procedures), already folded into <see cref="State"/>.</summary>
    public IReadOnlyList<InsertedAffine> Inserted { get; init; } = [];

    /// <summary>Mean training objective over the updates since the previous checkpoint (NaN at step 0).</summary>
    public double Loss { get; init; } = double.NaN;

    /// <summary>A model with this checkpoint's weights, built like <paramref name="template"/> (same spec and device).</summary>
    public Network ToNetwork(Network template)
    {
        var net = template.Clone();
        net.LoadStateDict(State);
        return net;
    }
}
