using LlcLab.IO;

namespace LlcLab.Analysis;

/// <summary>Mean of paired differences dᵢ = aᵢ − bᵢ (e.g. ΔLLC(concept) − ΔLLC(null) per seed) with two intervals.</summary>
/// <param name="Mean">d̄.</param>
/// <param name="Std">Sample standard deviation of the dᵢ.</param>
/// <param name="N">Number of pairs.</param>
/// <param name="TLow">Student-t interval d̄ ± t_{(1+level)/2, n−1}·s/√n (lower end; NaN for n = 1).</param>
/// <param name="THigh">Upper end of the t-interval.</param>
/// <param name="BootLow">Percentile-bootstrap interval of d̄ (resampling pairs; lower end).</param>
/// <param name="BootHigh">Upper end of the bootstrap interval.</param>
/// <param name="Level">Confidence level.</param>
/// <param name="Keys">The pairing keys used (seeds), in order.</param>
public sealed record PairedDifference(double Mean, double Std, int N, double TLow, double THigh, double BootLow, double BootHigh, double Level, IReadOnlyList<long> Keys)
{
    /// <summary>Both intervals exclude zero.</summary>
    public bool ExcludesZero => (TLow > 0 && BootLow > 0) || (THigh < 0 && BootHigh < 0);

    public override string ToString() => FormattableString.Invariant(
        $"{Mean:G4} (n = {N}; {Level:P0} t CI [{TLow:G4}, {THigh:G4}], bootstrap [{BootLow:G4}, {BootHigh:G4}])");
}

/// <summary>Paired confidence intervals across seeds, so seed-to-seed variation of the base model cancels.</summary>
public static class Paired
{
    /// <summary>Differences a[k] − b[k] over the keys present in both (seeds), t-interval and percentile bootstrap of the mean
    /// (<paramref name="resamples"/> resamples of the pairs from <c>new Random(seed)</c>).</summary>
    public static PairedDifference Difference(IReadOnlyDictionary<long, double> a, IReadOnlyDictionary<long, double> b,
        double level = 0.95, int resamples = 10_000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var keys = a.Keys.Intersect(b.Keys).Order().ToList();
        if (keys.Count == 0) throw new ArgumentException($"No common keys: a has [{string.Join(", ", a.Keys.Order())}], b has [{string.Join(", ", b.Keys.Order())}].");
        var d = keys.Select(k => a[k] - b[k]).ToArray();
        var s = Stats.Summarize(d, level);
        var (lo, hi) = BootstrapMean(d, level, resamples, seed);
        return new PairedDifference(s.Mean, s.Std, s.N, s.CiLow, s.CiHigh, lo, hi, level, keys);
    }

    /// <summary>Paired difference of two equally long sequences (pair i with i).</summary>
    public static PairedDifference Difference(IReadOnlyList<double> a, IReadOnlyList<double> b, double level = 0.95, int resamples = 10_000, int seed = 0)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Paired values need equal lengths, got {a.Count} and {b.Count}.");
        return Difference(Enumerable.Range(0, a.Count).ToDictionary(i => (long)i, i => a[i]), Enumerable.Range(0, b.Count).ToDictionary(i => (long)i, i => b[i]), level, resamples, seed);
    }

    /// <summary>
    /// ΔLLC(concept) − ΔLLC(null) per seed from a protocol's rows: with the same "before" per seed this is λ̂(concept) − λ̂(null),
    /// over the seeds whose λ̂ at both stages passes every check (<c>{metric}_strict_valid</c>: at a minimum, R̂ ≤ 1.1, MALA ≥ 0.9,
    /// see <see cref="LlcValidity"/>; with <paramref name="strict"/> false the minimum check <c>{metric}_valid</c>; missing = valid).
    /// Returns the interval and the number of paired seeds excluded as invalid.
    /// </summary>
    public static (PairedDifference? Excess, int Excluded) Excess(ExperimentResult result, string metric, (string Procedure, long? Step) concept,
        (string Procedure, long? Step) nullEdit, string? model = null, string? layer = null, double level = 0.95, int resamples = 10_000, int seed = 0, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        string validity = metric + (strict ? "_strict_valid" : "_valid");
        Dictionary<long, double> Values((string Procedure, long? Step) s, string m) =>
            result.Rows(m, s.Procedure, s.Step, model, layer).Where(r => r.Seed is not null).GroupBy(r => r.Seed!.Value).ToDictionary(g => g.Key, g => g.Last().Value);
        var (va, vb) = (Values(concept, metric), Values(nullEdit, metric));
        var (oka, okb) = (Values(concept, validity), Values(nullEdit, validity));
        var both = va.Keys.Intersect(vb.Keys).ToList();
        var used = both.Where(k => oka.GetValueOrDefault(k, 1) > 0.5 && okb.GetValueOrDefault(k, 1) > 0.5).ToList();
        if (used.Count == 0) return (null, both.Count);
        return (Difference(used.ToDictionary(k => k, k => va[k]), used.ToDictionary(k => k, k => vb[k]), level, resamples, seed), both.Count - used.Count);
    }

    /// <summary>Percentile bootstrap interval of the mean of <paramref name="d"/>.</summary>
    public static (double Low, double High) BootstrapMean(IReadOnlyList<double> d, double level = 0.95, int resamples = 10_000, int seed = 0)
    {
        if (d.Count < 2) return (double.NaN, double.NaN);
        if (resamples < 100) throw new ArgumentException($"Use at least 100 bootstrap resamples, got {resamples}.");
        var rng = new Random(seed);
        var means = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            double sum = 0;
            for (int i = 0; i < d.Count; i++) sum += d[rng.Next(d.Count)];
            means[b] = sum / d.Count;
        }
        Array.Sort(means);
        return (Stats.Quantile(means, (1 - level) / 2), Stats.Quantile(means, (1 + level) / 2));
    }
}
