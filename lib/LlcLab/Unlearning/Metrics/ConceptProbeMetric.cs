using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Concept probe accuracy at every hidden layer — the measure of concept-erasure success — with a
/// multinomial logistic-regression probe, under two protocols (data_subset column):
/// <list type="bullet">
/// <item><c>train_to_test</c> (when D_f and D_r carry concept labels): the probe is fitted on the activations of the
///   training data D_f ∪ D_r and scored on the held-out test set — the protocol of the concept-erasure literature,
///   and what LEACE guarantees (after LEACE fitted on the training data, ≈ chance).</item>
/// <item><c>test_halves</c>: the held-out test set is split in two halves by a seeded permutation; the probe is
///   fitted on one half and scored on the other — a stricter test of whether the concept is still linearly
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
        var (fit, score) = Halves(test.Count, c.Seed);
        var zFit = z.index_select(0, fit);
        var zScore = z.index_select(0, score);
        bool trainConcept = c.Data.Forget.Concept is not null && c.Data.Retain.Concept is not null;
        var zTrain = trainConcept ? cat([c.Data.Forget.Concept!, c.Data.Retain.Concept!]) : null;
        var xTrain = trainConcept ? cat([c.Data.Forget.X, c.Data.Retain.X]) : null;
        if (trainConcept) yield return new MetricValue("probe_chance", MajorityRate(z)) { DataSubset = "train_to_test" };
        yield return new MetricValue("probe_chance", MajorityRate(zScore)) { DataSubset = "test_halves" };
        foreach (var layer in layers ?? c.Model.LayerNames)
        {
            var h = Representation(c, layer, test.X);
            if (trainConcept)
                yield return new MetricValue("probe_accuracy", LogisticProbe.Accuracy(Representation(c, layer, xTrain!), zTrain!, h, z))
                    { Layer = layer, DataSubset = "train_to_test" };
            yield return new MetricValue("probe_accuracy", LogisticProbe.Accuracy(h.index_select(0, fit), zFit, h.index_select(0, score), zScore))
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

    static (Tensor Fit, Tensor Score) Halves(long n, long seed)
    {
        if (n < 4) throw new ArgumentException($"The concept probe needs at least 4 held-out rows (got {n}).");
        using var g = Seeding.Generator(Seeding.Derive(seed, 307));
        var perm = randperm(n, generator: g);
        return (perm.narrow(0, 0, n / 2), perm.narrow(0, n / 2, n - n / 2));
    }

    static double MajorityRate(Tensor z)
    {
        using var counts = z.cpu().bincount(null);
        return counts.max().item<long>() / (double)z.shape[0];
    }
}

/// <summary>Multinomial logistic regression fitted by full-batch L-BFGS on standardised features
/// with a small L2 penalty (private until the erasure helper's LinearProbe is available).</summary>
internal static class LogisticProbe
{
    public static double Accuracy(Tensor xFit, Tensor zFit, Tensor xScore, Tensor zScore, double l2 = 1e-3, int iterations = 100)
    {
        using var scope = NewDisposeScope();
        var x = xFit.to(float64);
        var mean = x.mean([0], keepdim: true);
        var std = x.std(0, keepdim: true) + 1e-8;
        x = (x - mean) / std;
        var xs = (xScore.to(float64) - mean) / std;
        long k = Math.Max(zFit.max().item<long>(), zScore.max().item<long>()) + 1;
        var w = new TorchSharp.Modules.Parameter(zeros([x.shape[1], k], dtype: float64));
        var b = new TorchSharp.Modules.Parameter(zeros([k], dtype: float64));
        var opt = optim.LBFGS([w, b], lr: 1, max_iter: iterations, history_size: 20);
        Tensor Closure()
        {
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(x.matmul(w) + b, zFit) + l2 * w.pow(2).sum();
            loss.backward();
            return loss;
        }
        opt.step(Closure);
        using var _ = no_grad();
        var pred = (xs.matmul(w) + b).argmax(1);
        return pred.eq(zScore).to(float64).mean().item<double>();
    }
}
