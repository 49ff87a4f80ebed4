using LlcLab.Data;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>Model quality on a data set (no gradient, batched to bound memory).</summary>
public static class Evaluate
{
    /// <summary>Fraction of examples whose arg-max output equals the label.</summary>
    public static double Accuracy(Network net, Dataset data, int batchSize = 4096)
    {
        if (!data.IsClassification) throw new ArgumentException($"Accuracy needs class labels; '{data.Name}' has float targets. Use Evaluate.Loss.");
        using var scope = NewDisposeScope();
        long correct = 0;
        var dev = net.Device;
        for (long s = 0; s < data.Count; s += batchSize)
        {
            long e = Math.Min(data.Count, s + batchSize);
            var out_ = net.Forward(data.X.slice(0, s, e, 1).to(dev));
            correct += out_.argmax(-1).eq(data.Y.slice(0, s, e, 1).to(dev)).sum().item<long>();
        }
        return (double)correct / data.Count;
    }

    /// <summary>Mean loss L_n(w) over the data set (see <see cref="LossKind"/>; default chosen from the target dtype).</summary>
    public static double Loss(Network net, Dataset data, LossKind? kind = null, int batchSize = 4096)
    {
        var k = kind ?? Losses.For(data.Y);
        using var scope = NewDisposeScope();
        double total = 0;
        var dev = net.Device;
        for (long s = 0; s < data.Count; s += batchSize)
        {
            long e = Math.Min(data.Count, s + batchSize);
            var l = Losses.Compute(k, net.Forward(data.X.slice(0, s, e, 1).to(dev)), data.Y.slice(0, s, e, 1).to(dev));
            total += l.to(ScalarType.Float64).item<double>() * (e - s);
        }
        return total / data.Count;
    }
}
