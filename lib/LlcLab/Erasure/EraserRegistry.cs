using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Settings shared by the fitters of <see cref="EraserRegistry"/>; null means the method's documented default.
/// </summary>
/// <param name="Seed">Probe splits (INLP), initialisation and minibatches (RLACE).</param>
/// <param name="Shrinkage">Σ_XX estimator for LEACE.</param>
/// <param name="Rank">Dimensions removed by RLACE (default: classes − 1, i.e. 1 for a binary concept).</param>
/// <param name="Iterations">INLP rounds (default 20) or RLACE alternating steps (default 75 000, early stop at chance).</param>
public sealed record EraserSettings(long Seed = 0, Shrinkage Shrinkage = Shrinkage.None, int? Rank = null, int? Iterations = null)
{
    public static EraserSettings Default { get; } = new();
}

/// <summary>
/// The eraser registry: method name → fitter, with one set of default settings, used by <c>llclab erase</c> and by the
/// protocols and notebooks (<c>ErasureComparison</c>, <c>InlpTrace</c>) alike. Methods: LEACE (Belrose et al. 2023), the
/// orthogonal "SAL" projection (alias <c>sal</c>), the mean-difference projection, INLP (Ravfogel et al. 2020) and RLACE
/// (Ravfogel et al. 2022). The oracle eraser needs the concept at inference too, so it is not a fitter here
/// (<see cref="OracleEraser"/>).
/// </summary>
public static class EraserRegistry
{
    /// <summary>Canonical method names, in the order results tables list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["leace", "orth", "meandiff", "inlp", "rlace"];

    static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase) { ["sal"] = "orth" };

    /// <summary>The canonical name for <paramref name="method"/> (case-insensitive, aliases resolved); throws listing the names if unknown.</summary>
    public static string Resolve(string method)
    {
        var m = (method ?? "").Trim().ToLowerInvariant();
        if (Aliases.TryGetValue(m, out var canonical)) m = canonical;
        if (!Names.Contains(m))
            throw new ArgumentException($"Unknown erasure method '{method}'; available: {string.Join(", ", Names)} (sal = orth).", nameof(method));
        return m;
    }

    /// <summary>Whether <paramref name="method"/> is fitted from streaming moments (so data larger than memory can be used):
    /// LEACE and the orthogonal eraser; the others iterate over the data.</summary>
    public static bool Streams(string method) => Resolve(method) is "leace" or "orth";

    /// <summary>The closed-form options for a streaming method (<see cref="Streams"/>).</summary>
    public static LeaceOptions LeaceOptionsFor(string method, EraserSettings? settings = null) => Resolve(method) switch
    {
        "leace" => LeaceOptions.Default with { Shrinkage = (settings ?? EraserSettings.Default).Shrinkage },
        "orth" => LeaceOptions.Orthogonal,
        var m => throw new ArgumentException($"'{m}' is not a closed-form eraser; use EraserRegistry.Fit.", nameof(method)),
    };

    /// <summary>INLP settings: at most 20 rounds (or <paramref name="iterations"/>), stop at chance + 1 point (the paper's criterion).</summary>
    public static InlpOptions InlpSettings(long seed, int? iterations = null) =>
        new(MaxIterations: iterations ?? 20, ChanceMargin: 0.01, Probe: ProbeOptions.Default with { Seed = seed });

    /// <summary>RLACE settings: rank k = classes − 1 (1 for a binary concept) unless given, and the reference code's optimiser
    /// (<see cref="RlaceOptions"/> defaults: SGD, lr 0.005, minibatch 128, at most 75 000 alternating steps, the candidate with the
    /// highest fresh-classifier dev loss kept, early stop at chance). RLACE solves a relaxed minimax problem by gradient steps,
    /// so it is approximate: the kept projection is the best of the scored candidates, not a certified optimum.</summary>
    public static RlaceOptions RlaceSettings(Tensor z, long seed, int? rank = null, int? iterations = null)
    {
        var o = new RlaceOptions(Rank: rank ?? Math.Max(1, ConceptLabels.ClassCount(z) - 1), Seed: seed, Probe: ProbeOptions.Default with { Seed = seed });
        return iterations is int it ? o with { Iterations = it } : o;
    }

    /// <summary>Fits the eraser <paramref name="method"/> on features <paramref name="x"/> and concept <paramref name="z"/>.</summary>
    public static AffineEraser Fit(string method, Tensor x, Tensor z, EraserSettings? settings = null)
    {
        var s = settings ?? EraserSettings.Default;
        return Resolve(method) switch
        {
            "leace" or "orth" => Leace.Fit(x, z, LeaceOptionsFor(method, s)),
            "meandiff" => MeanDifference.Fit(x, z),
            "inlp" => FitInlp(x, z, s),
            _ => Rlace.Fit(x, z, RlaceSettings(z, s.Seed, s.Rank, s.Iterations)).Eraser,
        };
    }

    /// <summary>INLP's final eraser; the per-round erasers are disposed.</summary>
    static AffineEraser FitInlp(Tensor x, Tensor z, EraserSettings s)
    {
        var r = Inlp.Fit(x, z, InlpSettings(s.Seed, s.Iterations));
        foreach (var it in r.Iterations) it.Eraser.Dispose();
        return r.Eraser;
    }
}
