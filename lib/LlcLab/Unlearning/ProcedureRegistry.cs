namespace LlcLab.Unlearning;

/// <summary>
/// Settings of the individual procedures in <see cref="ProcedureRegistry"/> beyond the shared <see cref="UnlearnOptions"/>;
/// null means the procedure's documented default.
/// </summary>
/// <param name="Alpha">graddiff: weight α of the retain loss (default 0.95); scrub: α of the retain KL (default 0.001).</param>
/// <param name="MaskFraction">salun: fraction of weights in the saliency mask (default 0.5).</param>
/// <param name="Layer">leace: hidden layer erased (default h1).</param>
/// <param name="ErasureSteps">leace: strength increments from 0 to 1 (default 10).</param>
public sealed record ProcedureSettings(double? Alpha = null, double? MaskFraction = null, string? Layer = null, int? ErasureSteps = null)
{
    public static ProcedureSettings Default { get; } = new();
}

/// <summary>
/// The unlearning-procedure registry: name → procedure with one set of defaults, used by <c>llclab unlearn</c> and by the
/// protocols and notebooks (RQ4) alike. Names: retrain (from scratch on D_r), finetune (on D_r), neggrad (gradient ascent
/// on D_f), graddiff, relabel (random labels on D_f), scrub (Kurmanji et al. 2023), salun (Fan et al. 2024) and leace
/// (concept erasure folded into the network, <see cref="ConceptErasure"/>).
/// </summary>
public static class ProcedureRegistry
{
    /// <summary>Procedure names, in the order results tables list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["retrain", "finetune", "neggrad", "graddiff", "relabel", "scrub", "salun", "leace"];

    /// <summary>The procedure <paramref name="name"/> (case-insensitive) with <paramref name="options"/> (default
    /// <see cref="UnlearnOptions"/>) and per-procedure <paramref name="settings"/>.</summary>
    public static IUnlearningProcedure Create(string name, UnlearnOptions? options = null, ProcedureSettings? settings = null)
    {
        var o = options ?? new UnlearnOptions();
        var s = settings ?? ProcedureSettings.Default;
        return (name ?? "").Trim().ToLowerInvariant() switch
        {
            "retrain" => new Retrain(o),
            "finetune" => new Finetune(o),
            "neggrad" => new NegGrad(o),
            "graddiff" => s.Alpha is double a ? new GradDiff(o, a) : new GradDiff(o),
            "relabel" => new RandomRelabel(o),
            "scrub" => s.Alpha is double b ? new Scrub(o, Alpha: b) : new Scrub(o),
            "salun" => s.MaskFraction is double f ? new SalUn(o, f) : new SalUn(o),
            "leace" => s.ErasureSteps is int k ? new ConceptErasure(s.Layer ?? "h1", k) : new ConceptErasure(s.Layer ?? "h1"),
            _ => throw new ArgumentException($"Unknown unlearning procedure '{name}'; available: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>The eraser procedures the protocols observe step by step: leace by strength (<see cref="ConceptErasure"/>) and inlp round by
    /// round (<see cref="InlpErasure"/>). <c>llclab unlearn</c> offers leace (in <see cref="Names"/>).</summary>
    public static IReadOnlyList<string> EraserNames { get; } = ["leace", "inlp"];

    /// <summary>The eraser procedure <paramref name="name"/> at hidden layer <paramref name="layer"/> with <paramref name="steps"/> checkpoints
    /// after the original (leace: strength increments t = k/steps; inlp: rounds, its probes seeded with <paramref name="seed"/>).</summary>
    public static IUnlearningProcedure CreateEraser(string name, string layer, int steps, long seed = 0) => name switch
    {
        "leace" => new ConceptErasure(layer, steps),
        "inlp" => new InlpErasure(layer, Rounds: steps, Seed: seed),
        _ => throw new ArgumentException($"Unknown eraser procedure '{name}'; available: {string.Join(", ", EraserNames)}.", nameof(name)),
    };
}
