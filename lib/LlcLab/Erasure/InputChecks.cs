using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Validation shared by every fitter: shapes, row counts, finiteness. Errors name the fix.</summary>
internal static class InputChecks
{
    /// <summary>x must be a 2-D floating tensor <c>[n, d]</c> with finite entries.</summary>
    public static void Features(Tensor x, string name = "x", long? expectedDim = null)
    {
        Shape(x, name, expectedDim);
        Finite(x, name);
    }

    /// <summary>Shape and dtype checks of <see cref="Features"/> without the finiteness pass.</summary>
    public static void Shape(Tensor x, string name = "x", long? expectedDim = null)
    {
        if (x.dim() != 2)
            throw new ArgumentException($"{name} must be a 2-D [rows, features] tensor but has shape [{string.Join(", ", x.shape)}]. Reshape it, e.g. x.reshape(-1, d).");
        if (!x.is_floating_point())
            throw new ArgumentException($"{name} must be float32 or float64 but is {x.dtype}. Convert it with x.to(float32) or x.to(float64).");
        if (expectedDim is { } d && x.shape[1] != d)
            throw new ArgumentException($"{name} has {x.shape[1]} features but the eraser/fitter was built for {d}.");
    }

    /// <summary>Throws if <paramref name="t"/> holds NaN or ±∞. One pass: a NaN or ∞ anywhere makes the float64 sum non-finite,
    /// and a float64 sum of finite float32 values cannot overflow; only a non-finite sum (or float64 values near 1e308) pays for the
    /// exact element-wise check.</summary>
    public static void Finite(Tensor t, string name)
    {
        if (!t.is_floating_point() || t.numel() == 0) return;
        using (var sum = t.sum(type: ScalarType.Float64))
            if (double.IsFinite(sum.item<double>())) return;
        using var ok = isfinite(t).all();
        if (!ok.item<bool>())
            throw new ArgumentException($"{name} contains NaN or infinite values. Remove or impute those rows before fitting/applying an eraser.");
    }

    public static void SameRows(Tensor x, Tensor z, string xName = "x", string zName = "z")
    {
        if (z.dim() == 0 || z.shape[0] != x.shape[0])
            throw new ArgumentException($"{xName} has {x.shape[0]} rows but {zName} has {(z.dim() == 0 ? 0 : z.shape[0])}: they must describe the same samples, one label/concept row per row of {xName}.");
    }
}
