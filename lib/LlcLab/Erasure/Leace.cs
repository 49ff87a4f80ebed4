using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// LEACE (Belrose et al. 2023, "LEACE: Perfect linear concept erasure in closed form"), the one entry point for data in
/// memory: <c>var eraser = Leace.Fit(x, z); var x2 = eraser.Apply(x);</c> The orthogonal ("SAL") eraser is
/// <c>Leace.Fit(x, z, LeaceOptions.Orthogonal)</c>; concept-erasure's settings are <see cref="LeaceOptions.ConceptErasureDefaults"/>.
/// Inside a network: <c>Leace.Fit(net.Activations("h1", x), z)</c>, then <see cref="NetworkErasure.InsertInto"/> or
/// <see cref="NetworkErasure.FoldInto"/>. For data larger than memory feed <see cref="LeaceFitter.Update"/> chunk by chunk
/// (<see cref="StreamingErasure"/> does it for <c>.npy</c> files): the same statistics, the same eraser.
/// </summary>
public static class Leace
{
    /// <summary>Fits LEACE (or, with <see cref="LeaceOptions.Orthogonal"/>, the orthogonal/SAL eraser) on rows
    /// <paramref name="x"/> <c>[n, d]</c> and concept <paramref name="z"/> (int labels <c>[n]</c>, or float <c>[n]</c>/<c>[n, k]</c>).</summary>
    public static LeaceEraser Fit(Tensor x, Tensor z, LeaceOptions? options = null)
    {
        InputChecks.Shape(x);
        InputChecks.SameRows(x, z);
        using var fitter = new LeaceFitter(x.shape[1], ConceptLabels.ColumnCount(z), options, x.device);
        return fitter.Update(x, z).FitEraser();
    }
}
