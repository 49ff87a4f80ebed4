using LlcLab.Erasure;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Fits a concept eraser by name, so protocols can sweep over methods.</summary>
public static class ErasureMethods
{
    /// <summary>Names accepted by <see cref="Fit"/>: LEACE, the orthogonal ("SAL") projection, mean-difference projection,
    /// INLP (Ravfogel et al. 2020) and RLACE (Ravfogel et al. 2022).</summary>
    public static IReadOnlyList<string> Available { get; } = new[] { "leace", "orth", "meandiff", "inlp", "rlace" };

    /// <summary>INLP settings used here: at most 20 rounds, stop at chance + 1 point (the paper's criterion).</summary>
    public static InlpOptions InlpSettings(long seed) => new(MaxIterations: 20, ChanceMargin: 0.01, Probe: ProbeOptions.Default with { Seed = seed });

    /// <summary>RLACE settings used here: rank k = classes − 1 (1 for a binary concept) and the reference code's optimiser
    /// (<see cref="RlaceOptions"/> defaults: SGD, lr 0.005, minibatch 128, at most 75 000 alternating steps, the candidate with the
    /// highest fresh-classifier dev loss kept, early stop at chance). RLACE solves a relaxed minimax problem by gradient steps,
    /// so it is approximate: the kept projection is the best of the scored candidates, not a certified optimum.</summary>
    public static RlaceOptions RlaceSettings(Tensor z, long seed) =>
        new(Rank: Math.Max(1, ConceptLabels.ClassCount(z) - 1), Seed: seed, Probe: ProbeOptions.Default with { Seed = seed });

    /// <summary>Fits the eraser <paramref name="method"/> on features <paramref name="x"/> and concept <paramref name="z"/>.</summary>
    public static IEraser Fit(string method, Tensor x, Tensor z, long seed = 0) => method.ToLowerInvariant() switch
    {
        "leace" => Leace.Fit(x, z),
        "orth" => Leace.FitOrthogonal(x, z),
        "meandiff" => MeanDifference.Fit(x, z),
        "inlp" => FitInlp(x, z, seed).Eraser,
        "rlace" => Rlace.Fit(x, z, RlaceSettings(z, seed)).Eraser,
        _ => throw new ArgumentException($"Unknown erasure method '{method}'; available: {string.Join(", ", Available)}.", nameof(method)),
    };

    /// <summary>INLP with <see cref="InlpSettings"/>; the per-round erasers are disposed (only the final one is returned in the result).</summary>
    static InlpResult FitInlp(Tensor x, Tensor z, long seed)
    {
        var r = Inlp.Fit(x, z, InlpSettings(seed));
        foreach (var it in r.Iterations) it.Eraser.Dispose();
        return r with { Iterations = [] };
    }
}
