using LlcLab.Analysis;
using LlcLab.Erasure;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Concept probe accuracy at every hidden layer — the measure of concept-erasure success — with a
/// logistic-regression probe, the experiments' one (<see cref="Probe"/>: L2 chosen by cross-validation on the probe's own
/// training rows, so that erased features score the majority rate instead of a noise fit), under two protocols (data_subset column):
/// <list type="bullet">
/// <item><c>train_to_test</c> (when D_f and D_r carry concept labels): the probe is fitted on the activations of the
///   training data D_f ∪ D_r and scored on the held-out test set — the protocol of the concept-erasure literature,
///   and what LEACE guarantees (after LEACE fitted on the training data, ≈ chance).</item>
/// <item><c>test_halves</c>: the held-out test set is split in two stratified halves (seeded); a probe fitted on each
///   half scores the other (<see cref="Probe.CrossFitted"/>) — a stricter test of whether the concept is still linearly
///   present in new data. An eraser fitted on the training data need not reach chance here.</item>
/// </list>
/// Metrics <c>probe_accuracy</c> (per layer) and <c>probe_chance</c> (majority-class rate of the scored rows).
/// For checkpoints with an eraser at layer ℓ (<see cref="UnlearningCheckpoint.Inserted"/>), layer ℓ is probed after
/// the eraser — the representation the next layer reads.
/// </summary>
public sealed class ConceptProbeMetric(IReadOnlyList<string>? layers = null) : ICheckpointMetric
{
    public string Name => "concept_probe";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        var test = c.Data.RequireTest("The concept-probe metric");
        var z = test.Concept ?? throw new ArgumentException("The concept-probe metric needs concept labels on the test set (LabelledSubset.Concept).");
        if (test.Count < 8) throw new ArgumentException($"The concept probe needs at least 8 held-out rows (got {test.Count}).");
        bool trainConcept = c.Data.Forget.Concept is not null && c.Data.Retain.Concept is not null;
        var zTrain = trainConcept ? cat([c.Data.Forget.Concept!, c.Data.Retain.Concept!]) : null;
        var xTrain = trainConcept ? cat([c.Data.Forget.X, c.Data.Retain.X]) : null;
        long seed = Seeding.Derive(c.Seed, 307);
        double chance = LinearProbe.MajorityRate(z);
        if (trainConcept) yield return new MetricValue("probe_chance", chance) { DataSubset = "train_to_test" };
        yield return new MetricValue("probe_chance", chance) { DataSubset = "test_halves" };
        foreach (var layer in layers ?? c.Model.LayerNames)
        {
            var h = Representation(c, layer, test.X);
            if (trainConcept)
                yield return new MetricValue("probe_accuracy", Probe.TrainTest(Representation(c, layer, xTrain!), zTrain!, h, z, seed).Accuracy)
                    { Layer = layer, DataSubset = "train_to_test" };
            yield return new MetricValue("probe_accuracy", Probe.CrossFitted(h, z, seed).Accuracy)
                { Layer = layer, DataSubset = "test_halves" };
        }
    }

    /// <summary>Activations at <paramref name="layer"/>, after any eraser the checkpoint applies there (CPU).</summary>
    static Tensor Representation(CheckpointContext c, string layer, Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = c.Model.Activations(layer, x);
        foreach (var a in c.Checkpoint.Inserted.Where(a => a.Layer == layer)) // an eraser folded into the next layer acts here
            h = h.matmul(a.Matrix.to(h.dtype).to(h.device).t()) + a.Offset.to(h.dtype).to(h.device);
        return h.cpu().MoveToOuterDisposeScope();
    }
}
