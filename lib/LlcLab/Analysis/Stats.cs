using MathNet.Numerics.Distributions;

namespace LlcLab.Analysis;

/// <summary>Mean and spread of repeated measurements (e.g. one λ̂ per seed), with a Student-t confidence interval.</summary>
/// <param name="Mean">Sample mean.</param>
/// <param name="Std">Sample standard deviation (n − 1 denominator); 0 when n = 1.</param>
/// <param name="N">Number of values.</param>
/// <param name="CiLow">Lower end of the <see cref="Level"/> confidence interval of the mean (NaN when n = 1).</param>
/// <param name="CiHigh">Upper end of the interval.</param>
/// <param name="Level">Confidence level.</param>
public sealed record Summary(double Mean, double Std, int N, double CiLow, double CiHigh, double Level)
{
    /// <summary>Standard error of the mean, Std/√n.</summary>
    public double StdError => N > 0 ? Std / Math.Sqrt(N) : double.NaN;

    /// <summary>Half-width of the confidence interval (the error bar).</summary>
    public double HalfWidth => (CiHigh - CiLow) / 2;

    /// <inheritdoc />
    public override string ToString() => N > 1
        ? FormattableString.Invariant($"{Mean:G4} ± {Std:G3} (n = {N}, {Level:P0} CI [{CiLow:G4}, {CiHigh:G4}])")
        : FormattableString.Invariant($"{Mean:G4} (n = 1)");
}

/// <summary>A correlation coefficient with a confidence interval.</summary>
/// <param name="Method">"pearson" or "spearman".</param>
/// <param name="R">The coefficient.</param>
/// <param name="Low">Lower CI end.</param>
/// <param name="High">Upper CI end.</param>
/// <param name="N">Number of paired observations.</param>
/// <param name="Level">Confidence level.</param>
/// <param name="CiMethod">How the interval was computed ("bootstrap-percentile" or "fisher-z").</param>
public sealed record Correlation(string Method, double R, double Low, double High, int N, double Level, string CiMethod)
{
    /// <summary>Whether the interval excludes zero (a sign that the association is not noise at this level).</summary>
    public bool ExcludesZero => Low > 0 || High < 0;

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Method} r = {R:F2} [{Low:F2}, {High:F2}] ({Level:P0} {CiMethod} CI, n = {N})");
}

/// <summary>Statistics used by the experiment protocols (float64; MathNet.Numerics for distributions).</summary>
public static class Stats
{
    /// <summary>Mean, sample std and the Student-t interval mean ± t_{(1+level)/2, n−1}·s/√n.</summary>
    public static Summary Summarize(IEnumerable<double> values, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("Cannot summarise an empty set of values.", nameof(values));
        if (level is <= 0 or >= 1) throw new ArgumentException($"Confidence level must be in (0, 1), got {level}.", nameof(level));
        double mean = v.Average();
        if (v.Length == 1) return new Summary(mean, 0, 1, double.NaN, double.NaN, level);
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        double t = StudentT.InvCDF(0, 1, v.Length - 1, (1 + level) / 2);
        double half = t * std / Math.Sqrt(v.Length);
        return new Summary(mean, std, v.Length, mean - half, mean + half, level);
    }

    /// <summary>Pearson's product-moment correlation r = cov(x, y)/(σ_x σ_y); NaN if either has zero variance.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPairs(x, y, 2);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's ρ: Pearson's r of the (average-tied) ranks.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPairs(x, y, 2);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>
    /// Correlation with a percentile-bootstrap confidence interval: resample the pairs with replacement
    /// <paramref name="resamples"/> times (fixed <paramref name="seed"/>), take the (1−level)/2 and (1+level)/2
    /// quantiles of the resampled coefficients (degenerate resamples with zero variance are skipped).
    /// </summary>
    public static Correlation Correlate(IReadOnlyList<double> x, IReadOnlyList<double> y, string method = "pearson",
        double level = 0.95, int resamples = 2000, int seed = 0)
    {
        CheckPairs(x, y, 3);
        Func<IReadOnlyList<double>, IReadOnlyList<double>, double> f = method.ToLowerInvariant() switch
        {
            "pearson" => Pearson,
            "spearman" => Spearman,
            _ => throw new ArgumentException($"Unknown correlation method '{method}'; use \"pearson\" or \"spearman\".", nameof(method)),
        };
        double r = f(x, y);
        var rng = new Random(seed);
        var boot = new List<double>(resamples);
        var bx = new double[x.Count];
        var by = new double[x.Count];
        for (int b = 0; b < resamples; b++)
        {
            for (int i = 0; i < x.Count; i++) { int j = rng.Next(x.Count); bx[i] = x[j]; by[i] = y[j]; }
            double rb = f(bx, by);
            if (double.IsFinite(rb)) boot.Add(rb);
        }
        if (boot.Count < resamples / 2 || !double.IsFinite(r))
            return new Correlation(method, r, double.NaN, double.NaN, x.Count, level, "bootstrap-percentile");
        boot.Sort();
        return new Correlation(method, r, Quantile(boot, (1 - level) / 2), Quantile(boot, (1 + level) / 2), x.Count, level, "bootstrap-percentile");
    }

    /// <summary>Fisher-z interval for Pearson's r: tanh(atanh r ± z_{(1+level)/2}/√(n−3)).</summary>
    public static Correlation PearsonFisher(IReadOnlyList<double> x, IReadOnlyList<double> y, double level = 0.95)
    {
        CheckPairs(x, y, 4);
        double r = Pearson(x, y);
        double z = Math.Atanh(Math.Clamp(r, -0.999999999, 0.999999999));
        double half = Normal.InvCDF(0, 1, (1 + level) / 2) / Math.Sqrt(x.Count - 3);
        return new Correlation("pearson", r, Math.Tanh(z - half), Math.Tanh(z + half), x.Count, level, "fisher-z");
    }

    /// <summary>
    /// Plug-in mutual information I(A; B) = Σ p(a,b) log₂ p(a,b)/(p(a)p(b)) in bits between two discrete
    /// labelings (e.g. a concept and the class label). 0 when independent; ≤ min(H(A), H(B)).
    /// </summary>
    public static double MutualInformationBits(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count == 0)
            throw new ArgumentException($"Mutual information needs two equally long, non-empty labelings (got {a.Count} and {b.Count}).");
        var joint = new Dictionary<(long, long), int>();
        var pa = new Dictionary<long, int>();
        var pb = new Dictionary<long, int>();
        for (int i = 0; i < a.Count; i++)
        {
            joint[(a[i], b[i])] = joint.GetValueOrDefault((a[i], b[i])) + 1;
            pa[a[i]] = pa.GetValueOrDefault(a[i]) + 1;
            pb[b[i]] = pb.GetValueOrDefault(b[i]) + 1;
        }
        double n = a.Count, mi = 0;
        foreach (var ((x, y), c) in joint)
            mi += c / n * Math.Log2(c * n / ((double)pa[x] * pb[y]));
        return Math.Max(mi, 0);
    }

    /// <summary>Entropy H(A) in bits of a discrete labeling.</summary>
    public static double EntropyBits(IReadOnlyList<long> a) => MutualInformationBits(a, a);

    /// <summary>Linear-interpolated quantile of sorted values (type 7, as numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    internal static double[] Ranks(IReadOnlyList<double> v)
    {
        var idx = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < idx.Length;)
        {
            int j = i;
            while (j + 1 < idx.Length && v[idx[j + 1]] == v[idx[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[idx[k]] = avg;
            i = j + 1;
        }
        return ranks;
    }

    private static void CheckPairs(IReadOnlyList<double> x, IReadOnlyList<double> y, int min)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"Paired data of unequal length: {x.Count} x values, {y.Count} y values.");
        if (x.Count < min) throw new ArgumentException($"Need at least {min} pairs, got {x.Count}.");
        if (x.Concat(y).Any(v => !double.IsFinite(v)))
            throw new ArgumentException("Paired data contain NaN or infinity; drop or fix those runs first.");
    }
}
