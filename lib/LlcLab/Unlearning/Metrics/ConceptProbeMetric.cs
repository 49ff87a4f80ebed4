using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Concept probe accuracy at every hidden layer — the measure of concept-erasure success. The held-out
/// test set (with <see cref="LabelledSubset.Concept"/> labels) is split in two halves by a seeded
/// permutation; a multinomial logistic-regression probe is fitted on one half's activations and scored
/// on the other. Metrics <c>probe_accuracy</c> (per layer) and <c>probe_chance</c> (majority-class rate
/// of the scoring half), data_subset <c>test</c>. After LEACE at layer ℓ, probe_accuracy(ℓ) ≈ probe_chance.
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
        yield return new MetricValue("probe_chance", MajorityRate(zScore)) { DataSubset = "test" };
        foreach (var layer in layers ?? c.Model.LayerNames)
        {
            using var scope = NewDisposeScope();
            var h = c.Model.Activations(layer, test.X).cpu();
            double acc = LogisticProbe.Accuracy(h.index_select(0, fit), zFit, h.index_select(0, score), zScore);
            yield return new MetricValue("probe_accuracy", acc) { Layer = layer, DataSubset = "test" };
        }
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
