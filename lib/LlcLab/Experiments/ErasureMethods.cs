using LlcLab.Erasure;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Fits a concept eraser by name, so protocols can sweep over methods.</summary>
public static class ErasureMethods
{
    /// <summary>Names accepted by <see cref="Fit"/>.</summary>
    public static IReadOnlyList<string> Available { get; } = new[] { "leace", "orth", "meandiff" };

    /// <summary>Fits the eraser <paramref name="method"/> on features <paramref name="x"/> and concept <paramref name="z"/>.</summary>
    public static IEraser Fit(string method, Tensor x, Tensor z, long seed = 0) => method.ToLowerInvariant() switch
    {
        "leace" => Leace.Fit(x, z),
        "orth" => Leace.FitOrthogonal(x, z),
        "meandiff" => MeanDifference.Fit(x, z),
        _ => throw new ArgumentException($"Unknown erasure method '{method}'; available: {string.Join(", ", Available)}.", nameof(method)),
    };
}
