using System.Diagnostics;
using System.Globalization;
using LlcLab.Erasure;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// A concept eraser used as an unlearning procedure. The eraser (LEACE by default, Belrose et al. 2023) is
/// fitted on the original model's activations at hidden layer <see cref="Layer"/> over the training data
/// D_f ∪ D_r with the data's concept labels (<see cref="LabelledSubset.Concept"/>), then applied with strength
/// t_k = k/<see cref="Steps"/>, k = 0…Steps: h ↦ h − t·Q(h − μ) = h·P_tᵀ + c_t. Each checkpoint folds the partial
/// eraser into the layer that reads h (<see cref="NetworkErasure.FoldInto"/>: W′ = W·P_t, b′ = b + W·c_t), so it keeps the original architecture (and its
/// outputs equal those of the network with the eraser inserted as a fixed layer). The eraser's affine form is
/// recorded in <see cref="UnlearningCheckpoint.Inserted"/> so probes see the erased representation.
/// </summary>
/// <param name="Layer">Hidden layer to erase at (h1 … h{L−1}).</param>
/// <param name="Steps">Number of strength increments (checkpoints 0…Steps).</param>
/// <param name="Fit">Eraser fitter from (activations [n, d], concept [n]); default <see cref="Leace.Fit"/>.</param>
/// <param name="Method">Name in the results table.</param>
public sealed record ConceptErasure(string Layer = "h1", int Steps = 10, Func<Tensor, Tensor, IEraser>? Fit = null, string Method = "leace")
    : IUnlearningProcedure
{
    public string Name => Method;
    public double Lr => double.NaN;

    public IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["layer"] = Layer, ["steps"] = Steps.ToString(CultureInfo.InvariantCulture), ["method"] = Method,
    };

    public IEnumerable<UnlearningCheckpoint> Run(Network original, UnlearningData data, long seed = 0)
    {
        if (Steps < 1) throw new ArgumentException($"{Name}: Steps must be ≥ 1 (got {Steps}).");
        ErasureCheckpoints.Validate(Name, original, Layer, data);
        return Iterate(original, data);
    }

    IEnumerable<UnlearningCheckpoint> Iterate(Network original, UnlearningData data)
    {
        var sw = Stopwatch.StartNew();
        IEraser eraser;
        using (var scope = NewDisposeScope())
        {
            var (h, z) = ErasureCheckpoints.FitRows(original, Layer, data);
            eraser = (Fit ?? ((x, c) => Leace.Fit(x, c)))(h, z);
        }
        using var _ = eraser;
        var usage = ErasureCheckpoints.AllRows(data);
        for (int k = 0; k <= Steps; k++)
        {
            var ck = ErasureCheckpoints.Fold(Name, k, original, Layer, eraser, (double)k / Steps, sw.Elapsed.TotalSeconds, usage);
            sw.Stop(); // paused while the consumer evaluates the checkpoint
            yield return ck;
            sw.Start();
        }
    }
}
