using LlcLab.Data;
using LlcLab.Erasure;
using LlcLab.Models;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>
/// The measured confounds of one edit, the predictors of <see cref="ConfoundRegression"/>: the edit's rank and the spectral norm
/// of its map, the loss it costs at insertion, and how far re-minimisation moves the weights.
/// </summary>
public static class EditConfounds
{
    /// <summary>‖M‖₂ = σ_max(M) of the eraser's map r(x) = x·Mᵀ + c at strength t (float64 SVD).</summary>
    public static double MapNorm(IEraser eraser, double strength = 1.0)
    {
        ArgumentNullException.ThrowIfNull(eraser);
        var (m, c) = eraser.AffineForm(strength);
        using (m) using (c) using (var s = linalg.svdvals(m.cpu())) return s.max().item<double>();
    }

    /// <summary>L(edited) − L(base) on <paramref name="data"/> (the shared loss, <see cref="Evaluate.Loss"/>): the damage at insertion.</summary>
    public static double LossIncrease(Network baseNet, Network edited, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(baseNet);
        ArgumentNullException.ThrowIfNull(edited);
        return Evaluate.Loss(edited, data) - Evaluate.Loss(baseNet, data);
    }

    /// <summary>‖w_a − w_b‖₂ over all trainable parameters (same architecture; inserted fixed maps are buffers, not counted).</summary>
    public static double ParameterDistance(Network a, Network b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pa = a.ParameterTensors(); var pb = b.ParameterTensors();
        if (pa.Count != pb.Count) throw new ArgumentException($"The networks have {pa.Count} and {pb.Count} parameter tensors; compare networks of one architecture.");
        double sq = 0;
        using var _ = no_grad();
        for (int i = 0; i < pa.Count; i++)
        {
            if (!pa[i].shape.SequenceEqual(pb[i].shape)) throw new ArgumentException($"Parameter {i} has shapes [{string.Join(",", pa[i].shape)}] and [{string.Join(",", pb[i].shape)}].");
            using var d = pa[i].to(ScalarType.Float64) - pb[i].to(ScalarType.Float64).to(pa[i].device);
            sq += d.Squared().sum().item<double>();
        }
        return Math.Sqrt(sq);
    }

    /// <summary>One observation for the confound regression from the networks of one edit: <paramref name="baseNet"/> (before),
    /// <paramref name="inserted"/> (edit inserted, not re-minimised) and <paramref name="tuned"/> (re-minimised with the edit fixed).</summary>
    public static ConfoundObservation Observe(double deltaLlc, IEraser eraser, Network baseNet, Network inserted, Network tuned, Dataset train, string? label = null) =>
        new(deltaLlc, eraser.Rank, MapNorm(eraser), LossIncrease(baseNet, inserted, train), ParameterDistance(inserted, tuned), label);
}
