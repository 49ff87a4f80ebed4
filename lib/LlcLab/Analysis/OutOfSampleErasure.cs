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
/// <param name="Probe">Mean out-of-sample probe accuracy over the seeds.</param>
/// <param name="Chance">Mean majority-class rate of the probe's rows.</param>
/// <param name="SeedsWithin">Seeds whose probe is within max(2 points, 2 SE) of chance.</param>
/// <param name="Seeds">Seeds measured.</param>
public sealed record OutOfSampleErasure(double Probe, double Chance, int SeedsWithin, int Seeds)
{
    /// <summary>Every seed within its margin and the mean within 2 points of chance (false with no seed).</summary>
    public bool Holds => Seeds > 0 && SeedsWithin == Seeds && Math.Abs(Probe - Chance) <= HeldOutProbe.MinLeakMargin;

    /// <summary>One phrase, e.g. "erased out of sample (probe 60.1 % vs chance 60.0 %, 10/10 seeds within 2 points or 2 SE)".</summary>
    public string Text => Seeds == 0 ? "erasure out of sample not measured"
        : $"{(Holds ? "erased" : "NOT erased")} out of sample (probe {Probe:P1} vs chance {Chance:P1}, {SeedsWithin}/{Seeds} seeds within 2 points or 2 SE)";

    /// <summary>Reads the probe rows of <paramref name="procedure"/> (metric <paramref name="metric"/> and its <c>_chance</c>/<c>_se</c>
    /// companions, <see cref="HeldOutProbe.Rows"/>); null when there are none.</summary>
    public static OutOfSampleErasure? Of(ExperimentResult result, string procedure, long? step = null, string? layer = null, string metric = "probe_accuracy_after")
    {
        ArgumentNullException.ThrowIfNull(result);
        Dictionary<long, double> BySeed(string m) => result.Rows(m, procedure, step, layer: layer).Where(r => r.Seed is not null)
            .GroupBy(r => r.Seed!.Value).ToDictionary(g => g.Key, g => g.First().Value);
        var (acc, chance, se) = (BySeed(metric), BySeed(metric + "_chance"), BySeed(metric + "_se"));
        var seeds = acc.Keys.Where(chance.ContainsKey).Order().ToArray();
        if (seeds.Length == 0) return null;
        int within = seeds.Count(s => Math.Abs(acc[s] - chance[s]) <= Math.Max(HeldOutProbe.MinLeakMargin, 2 * (se.TryGetValue(s, out var e) ? e : 0)));
        return new OutOfSampleErasure(seeds.Average(s => acc[s]), seeds.Average(s => chance[s]), within, seeds.Length);
    }
}
