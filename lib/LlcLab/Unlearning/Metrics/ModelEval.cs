using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>Batched inference helpers for metrics (no gradient, chunked so large sets fit in memory).</summary>
internal static class ModelEval
{
    const long Chunk = 8192;

    /// <summary>Per-sample cross-entropy losses ℓ(f(x_i), y_i) (the shared <see cref="Losses.PerSample"/>), float64 on the CPU.</summary>
    public static double[] PerSampleLoss(Network net, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long i = 0; i < x.shape[0]; i += Chunk)
        {
            long n = Math.Min(Chunk, x.shape[0] - i);
            var logits = net.Forward(x.narrow(0, i, n));
            parts.Add(Losses.PerSample(LossKind.CrossEntropy, logits, y.narrow(0, i, n).to(logits.device)));
        }
        return cat(parts).to(float64).cpu().data<double>().ToArray();
    }

    /// <summary>Fraction of rows whose arg-max prediction equals the label (the shared <see cref="Evaluate.Accuracy(Network, Tensor, Tensor, int)"/>).</summary>
    public static double Accuracy(Network net, Tensor x, Tensor y) =>
        Evaluate.Accuracy(net, x, y);
}
