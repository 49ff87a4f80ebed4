using LlcLab.Protocols;

namespace LlcLab.Analysis;

/// <summary>
/// What the matched nulls say about one concept's erasure: LEACE's excess ΔLLC(LEACE) − ΔLLC(null) = λ̂(LEACE) − λ̂(null), paired
/// over the seeds valid for both, against each null of <see cref="MatchedEdits"/>. A null is <see cref="Beyond"/> when the 95 % t-interval
/// of the excess excludes 0, <see cref="Within"/> when it covers 0, and <see cref="Untested"/> with fewer than two valid seeds.
/// The effect is attributed to the concept only when LEACE exceeds every matched null (<see cref="Specific"/>).
/// </summary>
public sealed record MatchedVerdict(string Concept, string Variant, string Metric, PairedDifference? LeaceDelta,
    IReadOnlyList<string> Beyond, IReadOnlyList<string> Within, IReadOnlyList<string> Untested)
{
    /// <summary>At least one null could be compared over ≥ 2 valid seeds.</summary>
    public bool Tested => Beyond.Count + Within.Count > 0;

    /// <summary>LEACE's ΔLLC differs from every matched null (none within, none untested).</summary>
    public bool Specific => Beyond.Count > 0 && Within.Count == 0 && Untested.Count == 0;

    /// <summary>One sentence, computed from the lists.</summary>
    public string Text => !Tested
        ? $"{Concept}: not tested — no matched null has two seeds whose estimates pass validity (R̂, MALA, minimum)."
        : Specific ? $"{Concept}: concept-specific — LEACE's ΔLLC differs from every matched null ({string.Join(", ", Beyond)})."
        : Beyond.Count == 0 ? $"{Concept}: no effect beyond the matched null(s) {string.Join(", ", Within)}" +
            (Untested.Count > 0 ? $" ({string.Join(", ", Untested)} untested)." : ".")
        : $"{Concept}: mixed — beyond {string.Join(", ", Beyond)}, not beyond {string.Join(", ", Within)}" +
            (Untested.Count > 0 ? $", untested {string.Join(", ", Untested)}" : "") + "; not attributable to the concept alone.";

    /// <summary>The verdict for <paramref name="concept"/> from <see cref="MatchedComparison.Compare"/>'s rows (headline: all layers
    /// re-minimised, metric <c>llc</c> at the headline γ).</summary>
    public static MatchedVerdict From(IEnumerable<EditComparison> comparisons, string concept, string variant = "finetuned", string metric = "llc")
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var rows = comparisons.Where(c => c.Concept == concept && c.Variant == variant && c.Metric == metric).ToList();
        var nulls = rows.Where(c => c.Edit != "leace").ToList();
        static bool TwoSeeds(PairedDifference? d) => d is { N: > 1 };
        return new MatchedVerdict(concept, variant, metric, rows.FirstOrDefault(c => c.Edit == "leace")?.Delta,
            nulls.Where(c => TwoSeeds(c.Excess) && (c.Excess!.TLow > 0 || c.Excess.THigh < 0)).Select(c => c.Edit).ToList(),
            nulls.Where(c => TwoSeeds(c.Excess) && c.Excess!.TLow <= 0 && c.Excess.THigh >= 0).Select(c => c.Edit).ToList(),
            nulls.Where(c => !TwoSeeds(c.Excess)).Select(c => c.Edit).ToList());
    }
}
