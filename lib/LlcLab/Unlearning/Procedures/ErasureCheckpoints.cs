using LlcLab.Erasure;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// What the eraser procedures (<see cref="ConceptErasure"/>, <see cref="InlpErasure"/>) share: the rows an eraser is fitted on
/// (the original's activations at the erased layer over D_f ∪ D_r, with the concept labels) and the checkpoint of an eraser at
/// strength t folded into the layer that reads it (<see cref="NetworkErasure.FoldInto"/>: W′ = W·P_t, b′ = b + W·c_t, so the
/// checkpoint keeps the original architecture), with the eraser's affine form x ↦ x·P_tᵀ + c_t recorded in
/// <see cref="UnlearningCheckpoint.Inserted"/> so that probes see the erased representation.
/// </summary>
internal static class ErasureCheckpoints
{
    /// <summary>Clear errors before an eraser procedure starts: the data are valid, both subsets carry concept labels (the eraser is
    /// fitted on them), and <paramref name="layer"/> is a hidden layer of <paramref name="original"/>.</summary>
    public static void Validate(string procedure, Network original, string layer, UnlearningData data)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(data);
        data.Validate();
        if (data.Forget.Concept is null || data.Retain.Concept is null)
            throw new ArgumentException($"{procedure} needs concept labels on D_f and D_r to fit the eraser; build the data with a concept, e.g. UnlearningData.ByClass(train, 3, test, concept: \"parity\").");
        original.LayerIndex(layer); // a clear error for an unknown layer
    }

    /// <summary>Activations of <paramref name="original"/> at <paramref name="layer"/> over D_f then D_r, and their concept labels
    /// (in the caller's dispose scope). The caller checks that both subsets carry concept labels.</summary>
    public static (Tensor H, Tensor Z) FitRows(Network original, string layer, UnlearningData data) =>
        (original.Activations(layer, cat([data.Forget.X, data.Retain.X])), cat([data.Forget.Concept!, data.Retain.Concept!]));

    /// <summary>Every row of D_f and of D_r, each used once (the eraser's fit reads them all).</summary>
    public static DataUsage AllRows(UnlearningData data) => new(data.Forget.Count, data.Retain.Count,
        data.Forget.Indices ?? Range(data.Forget.Count), data.Retain.Indices ?? Range(data.Retain.Count));

    /// <summary>Checkpoint <paramref name="step"/> of procedure <paramref name="procedure"/>: <paramref name="original"/> with
    /// <paramref name="eraser"/> at <paramref name="strength"/> folded in after <paramref name="layer"/>.</summary>
    public static UnlearningCheckpoint Fold(string procedure, int step, Network original, string layer, IEraser eraser, double strength,
        double elapsedSeconds, DataUsage usage)
    {
        var (p, c) = eraser.AffineForm(strength);
        Dictionary<string, Tensor> state;
        using (var folded = eraser.FoldInto(original, layer, strength)) state = folded.StateDict();
        return new UnlearningCheckpoint(procedure, step, state, elapsedSeconds, usage)
        {
            Strength = strength, Inserted = [new InsertedAffine(layer, p.to(float32), c.to(float32))],
        };
    }

    static long[] Range(long n) => Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
}
