namespace LlcLab.Analysis;

/// <summary>
/// Does ΔLLC follow whether an edit erased the concept? A reading beside <see cref="MatchedVerdict"/> for a set of matched edits whose
/// members differ in what they remove: the orthogonal projection (a) of LEACE's subspace removes the concept as LEACE does, while the
/// oblique (b), invertible (c) and whitened random (d) nulls keep it. Each edit is put in a group by its own out-of-sample erasure
/// check (<see cref="OutOfSampleErasure.Holds"/>, read where the concept's erasure is fixed, e.g. the frozen-below variant), and the two
/// groups <em>separate</em> when every 95 % t-interval of ΔLLC in one group lies entirely above every interval in the other
/// (min TLow of one &gt; max THigh of the other). An edit with no erasure measurement or fewer than two valid seeds is untested.
/// <para>Separation says that ΔLLC tracks the removal of the concept's subspace, not the size or shape of the map. It does not say that
/// the concept is special among directions of equal use to the network: none of the nulls removes an equally useful non-concept
/// direction, so the reading names that limit in its text.</para>
/// </summary>
/// <param name="Erasing">Edits that erased the concept out of sample.</param>
/// <param name="Keeping">Edits that left it decodable.</param>
/// <param name="Untested">Edits without an erasure measurement or without two valid seeds.</param>
/// <param name="Direction">+1: the erasing edits' ΔLLC is above every keeping edit's; −1: below; 0: the intervals overlap (or a group is empty).</param>
public sealed record ErasureSeparation(IReadOnlyList<string> Erasing, IReadOnlyList<string> Keeping, IReadOnlyList<string> Untested, int Direction)
{
    /// <summary>Both groups have a tested edit and their intervals are disjoint.</summary>
    public bool Separates => Direction != 0;

    /// <summary>One sentence, computed from the groups.</summary>
    public string Text => Erasing.Count == 0 || Keeping.Count == 0
        ? $"not readable — no tested edit {(Erasing.Count == 0 ? "erased" : "kept")} the concept" + (Untested.Count > 0 ? $" ({string.Join(", ", Untested)} untested)." : ".")
        : Separates
        ? $"ΔLLC follows erasure — every edit that erased the concept out of sample ({string.Join(", ", Erasing)}) is {(Direction > 0 ? "above" : "below")} " +
          $"every edit that kept it ({string.Join(", ", Keeping)}), with disjoint 95 % intervals. It tracks the removal of the concept's subspace, " +
          "not the size or shape of the map; whether the concept matters more than any equally useful direction is not tested (no null removes one)."
        : $"ΔLLC does not follow erasure — the intervals of the edits that erased the concept ({string.Join(", ", Erasing)}) and of those that kept it " +
          $"({string.Join(", ", Keeping)}) overlap.";

    /// <summary>Groups <paramref name="edits"/> (name, erased out of sample or null when not measured, ΔLLC over seeds) and tests separation.</summary>
    public static ErasureSeparation From(IEnumerable<(string Edit, bool? Erased, PairedDifference? Delta)> edits)
    {
        ArgumentNullException.ThrowIfNull(edits);
        var list = edits.ToList();
        static bool Tested((string, bool? Erased, PairedDifference? Delta) e) => e.Erased is not null && e.Delta is { N: > 1 };
        var erasing = list.Where(e => Tested(e) && e.Erased == true).ToList();
        var keeping = list.Where(e => Tested(e) && e.Erased == false).ToList();
        int direction = 0;
        if (erasing.Count > 0 && keeping.Count > 0)
        {
            if (erasing.Min(e => e.Delta!.TLow) > keeping.Max(e => e.Delta!.THigh)) direction = 1;
            else if (erasing.Max(e => e.Delta!.THigh) < keeping.Min(e => e.Delta!.TLow)) direction = -1;
        }
        return new ErasureSeparation(erasing.Select(e => e.Edit).ToList(), keeping.Select(e => e.Edit).ToList(),
            list.Where(e => !Tested(e)).Select(e => e.Edit).ToList(), direction);
    }
}
