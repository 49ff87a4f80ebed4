using LlcLab.IO;

namespace LlcLab.Analysis;

/// <summary>
/// Whether an edit erased its concept out of sample, over seeds: the gate a ΔLLC must pass before it is read as the effect of
/// erasing that concept (issue 17's done-when: out-of-sample probe accuracy after erasure at chance ± 2 points).
/// <para>Per seed, the cross-fitted probe on rows the eraser never saw (<see cref="HeldOutProbe.OutOfSample"/>, rows
/// <c>{metric}</c>, <c>{metric}_chance</c>, <c>{metric}_se</c>) must be within max(2 points, 2 binomial SE) of chance, as
/// <see cref="ErasureProbeScore.ErasedOutOfSample"/> says; over seeds, the mean distance |probe − chance| must also be ≤ 2 points
/// (<see cref="HeldOutProbe.MinLeakMargin"/>). <see cref="Holds"/> needs both.</para>
/// </summary>
/// <param name="Probe">Mean out-of-sample probe accuracy over the units (seeds, or seed × erased layer when several layers are erased).</param>
/// <param name="Chance">Mean majority-class rate of the probe's rows.</param>
/// <param name="SeedsWithin">Units whose probe is within max(2 points, 2 SE) of chance.</param>
/// <param name="Seeds">Units measured.</param>
/// <param name="Layers">Erased layers the units span (1: one unit per seed).</param>
public sealed record OutOfSampleErasure(double Probe, double Chance, int SeedsWithin, int Seeds, int Layers = 1)
{
    /// <summary>Every unit within its margin and the mean within 2 points of chance (false with no unit).</summary>
    public bool Holds => Seeds > 0 && SeedsWithin == Seeds && Math.Abs(Probe - Chance) <= HeldOutProbe.MinLeakMargin;

    /// <summary>One phrase, e.g. "erased out of sample (probe 60.1 % vs chance 60.0 %, 10/10 seeds within 2 points or 2 SE)".</summary>
    public string Text => Seeds == 0 ? "erasure out of sample not measured"
        : $"{(Holds ? "erased" : "NOT erased")} out of sample (probe {Probe:P1} vs chance {Chance:P1}, {SeedsWithin}/{Seeds} {(Layers > 1 ? $"seed × layer ({Layers} layers)" : "seeds")} within 2 points or 2 SE)";

    /// <summary>Reads the probe rows of <paramref name="procedure"/> (metric <paramref name="metric"/> and its <c>_chance</c>/<c>_se</c>
    /// companions, <see cref="HeldOutProbe.Rows"/>), one unit per (seed, layer); null when there are none.</summary>
    public static OutOfSampleErasure? Of(ExperimentResult result, string procedure, long? step = null, string? layer = null,
        string metric = "probe_accuracy_after", string? model = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        Dictionary<(long, string?), double> ByUnit(string m) => result.Rows(m, procedure, step, model, layer).Where(r => r.Seed is not null)
            .GroupBy(r => (r.Seed!.Value, r.Layer)).ToDictionary(g => g.Key, g => g.First().Value);
        var (acc, chance, se) = (ByUnit(metric), ByUnit(metric + "_chance"), ByUnit(metric + "_se"));
        var units = acc.Keys.Where(chance.ContainsKey).Order().ToArray();
        if (units.Length == 0) return null;
        int within = units.Count(u => Math.Abs(acc[u] - chance[u]) <= HeldOutProbe.MarginOf(se.TryGetValue(u, out var e) ? e : 0));
        return new OutOfSampleErasure(units.Average(u => acc[u]), units.Average(u => chance[u]), within, units.Length,
            units.Select(u => u.Item2).Distinct().Count());
    }
}
