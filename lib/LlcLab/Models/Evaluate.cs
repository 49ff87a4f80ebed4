using LlcLab.Data;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>Model quality on a data set (no gradient, batched to bound memory). The one definition of accuracy.</summary>
public static class Evaluate
{
    /// <summary>Number of rows whose arg-max output (last dimension of <paramref name="output"/> <c>[..., B, K]</c>) equals
    /// the integer label (<paramref name="labels"/> <c>[B]</c>); summed over any leading dimensions.</summary>
    public static long CorrectCount(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return output.argmax(-1).eq(labels.to(ScalarType.Int64)).sum().item<long>();
    }

    /// <summary>Accuracy of outputs <c>[B, K]</c> against integer labels <c>[B]</c>: the fraction of arg-max hits (NaN for B = 0).</summary>
    public static double Accuracy(Tensor output, Tensor labels) =>
        labels.shape[0] == 0 ? double.NaN : (double)CorrectCount(output, labels) / labels.shape[0];

    /// <summary>Fraction of examples whose arg-max output equals the label (NaN for an empty set).</summary>
    public static double Accuracy(Network net, Tensor x, Tensor y, int batchSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (!Losses.IsClassLabels(y)) throw new ArgumentException($"Accuracy needs integer class labels; got {y.dtype} targets. Use Evaluate.Loss.");
        long n = x.shape[0];
        if (n == 0) return double.NaN;
        using var scope = NewDisposeScope();
        using var ng = no_grad();
        long correct = 0;
        var dev = net.Device;
        for (long s = 0; s < n; s += batchSize)
        {
            long e = Math.Min(n, s + batchSize);
            correct += CorrectCount(net.Forward(x.slice(0, s, e, 1).to(dev)), y.slice(0, s, e, 1).to(dev));
        }
        return (double)correct / n;
    }

    /// <summary>Fraction of examples of <paramref name="data"/> whose arg-max output equals the label.</summary>
    public static double Accuracy(Network net, Dataset data, int batchSize = 4096)
    {
        if (!data.IsClassification) throw new ArgumentException($"Accuracy needs class labels; '{data.Name}' has float targets. Use Evaluate.Loss.");
        return Accuracy(net, data.X, data.Y, batchSize);
    }

    /// <summary>Mean loss L_n(w) over the data set (see <see cref="LossKind"/>; default chosen from the target dtype).</summary>
    public static double Loss(Network net, Dataset data, LossKind? kind = null, int batchSize = 4096)
    {
        var k = kind ?? Losses.Infer(data.Y);
        using var scope = NewDisposeScope();
        using var ng = no_grad();
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
