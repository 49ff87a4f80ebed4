using LlcLab.IO;
using LlcLab.Sampling;

namespace LlcLab.Protocols;

/// <summary>A model with a known learning coefficient: a regular model (λ = d/2) or a deep linear network (Aoyagi's formula).</summary>
/// <param name="Label">Display name.</param>
/// <param name="Widths">Layer widths (input … output).</param>
/// <param name="Rank">True rank of the end-to-end map (ignored for regular models).</param>
/// <param name="Regular">True for a full-rank linear regression with bias (λ = d/2).</param>
public sealed record GroundTruthCase(string Label, long[] Widths, int Rank, bool Regular = false);

/// <summary>An estimate next to the truth.</summary>
public sealed record GroundTruthOutcome(GroundTruthCase Case, double TrueLambda, LlcResult Result)
{
    /// <summary>(λ̂ − λ)/λ.</summary>
    public double RelativeError => (Result.Mean - TrueLambda) / TrueLambda;
}

/// <summary>
/// Validation of the LLC estimator against known truths (Lau et al. 2023 §5; Aoyagi 2024 for deep linear
/// networks): regular models have λ = d/2, reduced-rank deep linear networks λ from Aoyagi's formula.
/// </summary>
public static class GroundTruthSuite
{
    /// <summary>The cases of notebook 01: one regular model and deep linear networks of several widths/ranks.</summary>
    public static IReadOnlyList<GroundTruthCase> DefaultCases(bool quick) => quick
        ? new GroundTruthCase[]
        {
            new("linear 4→3 (regular)", new long[] { 4, 3 }, 3, Regular: true),
            new("dln 5-3-5, rank 1", new long[] { 5, 3, 5 }, 1),
            new("dln 4-4-4, rank 2", new long[] { 4, 4, 4 }, 2),
            new("dln 3-3-3-3, rank 1", new long[] { 3, 3, 3, 3 }, 1),
        }
        : new GroundTruthCase[]
        {
            new("linear 6→4 (regular)", new long[] { 6, 4 }, 4, Regular: true),
            new("linear 10→5 (regular)", new long[] { 10, 5 }, 5, Regular: true),
            new("dln 5-3-5, rank 0", new long[] { 5, 3, 5 }, 0),
            new("dln 5-3-5, rank 2", new long[] { 5, 3, 5 }, 2),
            new("dln 8-4-6, rank 3", new long[] { 8, 4, 6 }, 3),
            new("dln 6-6-6, rank 3", new long[] { 6, 6, 6 }, 3),
            new("dln 4-5-3-4, rank 2", new long[] { 4, 5, 3, 4 }, 2),
            new("dln 10-6-4-8, rank 3", new long[] { 10, 6, 4, 8 }, 3),
        };

    /// <summary>
    /// SGLD settings for the ground-truth cases: the library defaults (4 chains × 4,000 draws after 1,000 steps, γ = 1). Quick mode
    /// keeps the per-chain length (with γ = 1 and ε·nβ = 0.05 the chains relax over thousands of steps; 200 draws left the deep
    /// linear networks 35% low) and halves the chains to 2.
    /// </summary>
    public static SgldOptions DefaultSgld(bool quick) => quick
        ? new SgldOptions { Chains = 2 }
        : new SgldOptions();

    /// <summary>What quick mode changes, for the notebook to print.</summary>
    public const string QuickNote =
        "4 cases instead of 8 (one regular, three deep linear networks including a 4-layer one), n = 5,000 instead of 10,000, and 2 chains instead of 4; " +
        "each chain keeps the library's full length (1,000 burn-in + 4,000 draws), because shorter chains have not relaxed at γ = 1 and read up to 35% low on the deep networks.";

    /// <summary>Data-set size n of the ground-truth problems.</summary>
    public static int SampleSize(bool quick) => quick ? 5_000 : 10_000;

    /// <summary>Estimates λ̂ for each case (data n samples, seed fixed) and pairs it with the truth.</summary>
    public static IReadOnlyList<GroundTruthOutcome> Run(IEnumerable<GroundTruthCase> cases, SgldOptions? options = null, int n = 10_000, long seed = 0)
    {
        var list = new List<GroundTruthOutcome>();
        foreach (var c in cases)
        {
            using var p = c.Regular
                ? LinearTruth.Regular(c.Widths[0], c.Widths[^1], n, seed)
                : LinearTruth.DeepLinear(c.Widths, c.Rank, n, seed);
            var r = Llc.Estimate(p.Model, p.X, p.Y, options);
            list.Add(new GroundTruthOutcome(c, p.TrueLlc, r));
        }
        return list;
    }

    /// <summary>Tidy rows: "llc" (estimate) and "true_llc" per case.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<GroundTruthOutcome> outcomes, string experiment = "llc-ground-truth") =>
        outcomes.SelectMany(o => new[]
        {
            LlcRows.From(o.Result, experiment, o.Case.Label),
            LlcRows.Metric(experiment, o.Case.Label, "true_llc", o.TrueLambda),
        });
}
