using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// One-call LEACE (Belrose et al. 2023, "LEACE: Perfect linear concept erasure in closed form"):
/// <c>var eraser = Leace.Fit(x, z); var x2 = eraser.Apply(x);</c>
/// </summary>
public static class Leace
{
    /// <summary>Fits LEACE (or, with <see cref="LeaceOptions.Orthogonal"/>, the orthogonal/SAL eraser) on rows
    /// <paramref name="x"/> <c>[n, d]</c> and concept <paramref name="z"/> (int labels <c>[n]</c>, or float <c>[n]</c>/<c>[n, k]</c>).</summary>
    public static LeaceEraser Fit(Tensor x, Tensor z, LeaceOptions? options = null)
    {
        using var fitter = LeaceFitter.Fit(x, z, options);
        return fitter.FitEraser();
    }

    /// <summary>The orthogonal projection eraser (W = I; "SAL"): x′ = x − UUᵀ(x − μ), U spanning col(Σ_XZ).</summary>
    public static LeaceEraser FitOrthogonal(Tensor x, Tensor z, int? maxRank = null) =>
        Fit(x, z, LeaceOptions.Orthogonal with { MaxRank = maxRank });
}
