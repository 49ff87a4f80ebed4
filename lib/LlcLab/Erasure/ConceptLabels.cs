using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// How a concept Z is turned into float64 columns for the (cross-)covariance statistics.
/// Integer or bool 1-D tensors are class labels: two classes become one 0/1 column (as in
/// concept-erasure), k &gt; 2 classes become k one-hot columns. Floating tensors are continuous
/// concepts: <c>[n]</c> is one column, <c>[n, k]</c> is k columns. (Pass int64 labels for classes:
/// a float tensor of labels 0..k−1 is treated as one continuous column.)
/// </summary>
public static class ConceptLabels
{
    /// <summary>True for integer or bool tensors (class labels).</summary>
    public static bool IsCategorical(Tensor z) => !z.is_floating_point();

    /// <summary>Number of classes in integer labels: max + 1 (at least 2).</summary>
    public static int ClassCount(Tensor labels)
    {
        if (labels.numel() == 0) throw new ArgumentException("The concept labels are empty.");
        using var l = labels.to_type(ScalarType.Int64);
        long min = l.min().item<long>(), max = l.max().item<long>();
        if (min < 0) throw new ArgumentException($"Class labels must be 0..k−1 but the smallest is {min}. Re-map the labels to non-negative integers.");
        return (int)Math.Max(2, max + 1);
    }

    /// <summary>Number of Z columns the statistics will track for this concept tensor.</summary>
    public static int ColumnCount(Tensor z)
    {
        if (IsCategorical(z))
        {
            if (z.dim() != 1) throw new ArgumentException($"Class labels must be a 1-D tensor [n] but have shape [{string.Join(", ", z.shape)}]. For several continuous concepts pass a float tensor [n, k].");
            int k = ClassCount(z);
            return k == 2 ? 1 : k;
        }
        return z.dim() switch
        {
            1 => 1,
            2 => (int)z.shape[1],
            _ => throw new ArgumentException($"A continuous concept must be [n] or [n, k] but has shape [{string.Join(", ", z.shape)}]."),
        };
    }

    /// <summary>Encodes <paramref name="z"/> as float64 <c>[n, columns]</c> on <paramref name="device"/>.</summary>
    public static Tensor Encode(Tensor z, int columns, Device device)
    {
        if (IsCategorical(z))
        {
            if (z.dim() != 1) throw new ArgumentException($"Class labels must be a 1-D tensor [n] but have shape [{string.Join(", ", z.shape)}].");
            using var l = z.to_type(ScalarType.Int64).to(device);
            long min = l.min().item<long>(), max = l.max().item<long>();
            long classes = columns == 1 ? 2 : columns;
            if (min < 0 || max >= classes)
                throw new ArgumentException($"Class labels must lie in 0..{classes - 1} (the fitter was built for {classes} classes) but range over {min}..{max}. " +
                                            "Build the fitter with the right number of classes (zDim = k for k > 2 classes, 1 for binary).");
            if (columns == 1) return l.to_type(ScalarType.Float64).unsqueeze(1);
            return nn.functional.one_hot(l, classes).to_type(ScalarType.Float64);
        }
        var f = z.dim() == 1 ? z.unsqueeze(1) : z;
        if (f.dim() != 2 || f.shape[1] != columns)
            throw new ArgumentException($"The concept has shape [{string.Join(", ", z.shape)}] but the fitter expects {columns} column(s).");
        InputChecks.Finite(f, "z");
        return f.to(ScalarType.Float64, device);
    }
}
