using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Held-out accuracy of a logistic-regression concept probe and the chance level it must beat.</summary>
/// <param name="Accuracy">Accuracy on the held-out rows.</param>
/// <param name="Chance">Majority-class rate on the held-out rows.</param>
public sealed record ProbeScore(double Accuracy, double Chance);

/// <summary>
/// Linear concept probes: a standardised, lightly L2-regularised (1e-3) multinomial logistic regression fitted by L-BFGS on a
/// seeded 75% of the rows and scored on the other 25% (the unlearning metrics' probe, so numbers are comparable across notebooks).
/// </summary>
public static class Probe
{
    /// <summary>Fits on a random 75% of (x, z) and reports accuracy and chance on the remaining 25%.</summary>
    public static ProbeScore HeldOut(Tensor x, Tensor z, long seed = 0, double testFraction = 0.25)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        if (x.shape[0] != z.shape[0]) throw new ArgumentException($"x has {x.shape[0]} rows but z has {z.shape[0]}.");
        if (x.shape[0] < 8) throw new ArgumentException($"A held-out probe needs at least 8 rows, got {x.shape[0]}.");
        using var scope = NewDisposeScope();
        using var g = Seeding.Generator(seed);
        long n = x.shape[0], nTest = Math.Max(1, (long)Math.Round(n * testFraction));
        var perm = randperm(n, generator: g).to(x.device);
        var test = perm.narrow(0, 0, nTest);
        var train = perm.narrow(0, nTest, n - nTest);
        var x2 = x.reshape(n, -1);
        var zl = z.to(ScalarType.Int64);
        double acc = Logistic(x2.index_select(0, train), zl.index_select(0, train), x2.index_select(0, test), zl.index_select(0, test));
        var zt = zl.index_select(0, test);
        double chance = zt.cpu().bincount(null).max().item<long>() / (double)nTest;
        return new ProbeScore(acc, chance);
    }

    /// <summary>Multinomial logistic regression on standardised features, L2 1e-3, full-batch L-BFGS; accuracy on the scoring rows.</summary>
    internal static double Logistic(Tensor xFit, Tensor zFit, Tensor xScore, Tensor zScore, double l2 = 1e-3, int iterations = 100)
    {
        using var scope = NewDisposeScope();
        var x = xFit.to(ScalarType.Float64);
        var mean = x.mean([0], keepdim: true);
        var std = x.std(0, keepdim: true) + 1e-8;
        x = (x - mean) / std;
        var xs = (xScore.to(ScalarType.Float64) - mean) / std;
        long k = Math.Max(zFit.max().item<long>(), zScore.max().item<long>()) + 1;
        var w = new TorchSharp.Modules.Parameter(zeros([x.shape[1], k], dtype: ScalarType.Float64, device: x.device));
        var b = new TorchSharp.Modules.Parameter(zeros([k], dtype: ScalarType.Float64, device: x.device));
        using var opt = optim.LBFGS([w, b], lr: 1, max_iter: iterations, history_size: 20);
        Tensor Closure()
        {
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(x.matmul(w) + b, zFit) + l2 * w.Squared().sum();
            loss.backward();
            return loss;
        }
        opt.step(Closure);
        using var _ = no_grad();
        return (xs.matmul(w) + b).argmax(1).eq(zScore).to(ScalarType.Float64).mean().item<double>();
    }
}
