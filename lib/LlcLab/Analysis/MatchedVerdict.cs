using LlcLab.Protocols;

namespace LlcLab.Analysis;

/// <summary>
/// What the matched nulls say about one concept's erasure: LEACE's excess ΔLLC(LEACE) − ΔLLC(null) = λ̂(LEACE) − λ̂(null), paired
/// over the seeds valid for both, against each null of <see cref="MatchedEdits"/>. A null is <see cref="Beyond"/> when the 95 % t-interval
/// of the excess excludes 0 (<see cref="Below"/> when under it), <see cref="Within"/> when it covers 0, and <see cref="Untested"/> with
/// fewer than two valid seeds.
/// The effect is attributed to the concept only when LEACE exceeds every matched null and, where measured, the concept was erased out of
/// sample (<see cref="Erasure"/>, <see cref="OutOfSampleErasure.Holds"/>): a ΔLLC of an edit that left the concept decodable on unseen
/// rows is not the effect of erasing it (<see cref="Specific"/>).
/// </summary>
public sealed record MatchedVerdict(string Concept, string Variant, string Metric, PairedDifference? LeaceDelta,
    IReadOnlyList<string> Beyond, IReadOnlyList<string> Within, IReadOnlyList<string> Untested)
{
    /// <summary>The out-of-sample erasure check of LEACE's edit (null: not given).</summary>
    public OutOfSampleErasure? Erasure { get; init; }

    /// <summary>The nulls of <see cref="Beyond"/> that LEACE's ΔLLC is below (excess interval entirely under 0); the rest it is above.</summary>
    public IReadOnlyList<string> Below { get; init; } = [];

    /// <summary>LEACE differs from nulls in both directions: the nulls straddle its ΔLLC, which no concept-specific effect explains.</summary>
    public bool Straddled => Below.Count > 0 && Below.Count < Beyond.Count;

    /// <summary>The erasure check was given and failed.</summary>
    public bool NotErased => Erasure is { Holds: false };

    /// <summary>At least one null could be compared over ≥ 2 valid seeds.</summary>
    public bool Tested => Beyond.Count + Within.Count > 0;

    /// <summary>LEACE's ΔLLC differs from every matched null in one direction (none within, none untested, not straddled), and the concept
    /// was erased out of sample.</summary>
    public bool Specific => !NotErased && AllBeyondOneWay;

    bool AllBeyondOneWay => Beyond.Count > 0 && Within.Count == 0 && Untested.Count == 0 && !Straddled;

    /// <summary>One sentence, computed from the lists.</summary>
    public string Text => (NotErased ? $"{Concept}: {Erasure!.Text}, so its ΔLLC is not the effect of erasing it; the matched nulls: " + MatchedText[(Concept.Length + 2)..] : MatchedText)
        + (Erasure is { Holds: true } e ? $" Erasure check: {e.Text}." : "");

    string MatchedText => !Tested
        ? $"{Concept}: not tested — no matched null has two seeds whose estimates pass validity (R̂, MALA, minimum)."
        : AllBeyondOneWay ? $"{Concept}: concept-specific — LEACE's ΔLLC is {(Below.Count > 0 ? "below" : "above")} every matched null ({string.Join(", ", Beyond)})."
        : Straddled && Within.Count == 0 && Untested.Count == 0 ? $"{Concept}: straddled — LEACE's ΔLLC is above {string.Join(", ", Beyond.Except(Below))} and below " +
            $"{string.Join(", ", Below)}; the nulls bracket it, so it is not attributable to the concept."
        : Beyond.Count == 0 ? $"{Concept}: no effect beyond the matched null(s) {string.Join(", ", Within)}" +
            (Untested.Count > 0 ? $" ({string.Join(", ", Untested)} untested)." : ".")
        : $"{Concept}: mixed — {Directions}, not beyond {string.Join(", ", Within)}" +
            (Untested.Count > 0 ? $", untested {string.Join(", ", Untested)}" : "") + "; not attributable to the concept alone.";

    string Directions => string.Join("; ", new[] { ("above", Beyond.Except(Below).ToList()), ("below", Below.ToList()) }
        .Where(d => d.Item2.Count > 0).Select(d => $"{d.Item1} {string.Join(", ", d.Item2)}"));

    /// <summary>The verdict for <paramref name="concept"/> from <see cref="MatchedComparison.Compare"/>'s rows (headline: all layers
    /// re-minimised, metric <c>llc</c> at the headline γ), with LEACE's out-of-sample erasure check <paramref name="erasure"/>
    /// (<see cref="OutOfSampleErasure.Of"/>; null when the protocol does not measure it).</summary>
    public static MatchedVerdict From(IEnumerable<EditComparison> comparisons, string concept, string variant = "finetuned", string metric = "llc",
        OutOfSampleErasure? erasure = null)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var rows = comparisons.Where(c => c.Concept == concept && c.Variant == variant && c.Metric == metric).ToList();
        var nulls = rows.Where(c => c.Edit != "leace").ToList();
        static bool TwoSeeds(PairedDifference? d) => d is { N: > 1 };
        return new MatchedVerdict(concept, variant, metric, rows.FirstOrDefault(c => c.Edit == "leace")?.Delta,
            nulls.Where(c => TwoSeeds(c.Excess) && (c.Excess!.TLow > 0 || c.Excess.THigh < 0)).Select(c => c.Edit).ToList(),
            nulls.Where(c => TwoSeeds(c.Excess) && c.Excess!.TLow <= 0 && c.Excess.THigh >= 0).Select(c => c.Edit).ToList(),
            nulls.Where(c => !TwoSeeds(c.Excess)).Select(c => c.Edit).ToList())
        {
            Erasure = erasure,
            Below = nulls.Where(c => TwoSeeds(c.Excess) && c.Excess!.THigh < 0).Select(c => c.Edit).ToList(),
        };
    }
}
