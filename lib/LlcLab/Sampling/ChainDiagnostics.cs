namespace LlcLab.Sampling;

/// <summary>
/// Convergence statistics across chains, following Vehtari, Gelman, Simpson, Carpenter &amp; Bürkner (2021),
/// "Rank-normalization, folding, and localization: an improved R̂" (the split-R̂ of eq. 4 without rank
/// normalisation, and the multi-chain ESS of §3.2 with Geyer's initial monotone sequence).
/// </summary>
public static class ChainDiagnostics
{
    const int MaxLag = 1000;

    /// <summary>Split-R̂: each chain cut in halves; √(var⁺/W) with var⁺ = (N−1)/N·W + B/N. NaN if a half has &lt; 2 draws.</summary>
    public static double SplitRHat(double[][] chains)
    {
        var split = Split(chains);
        if (split.Count == 0 || split[0].Length < 2) return double.NaN;
        var (w, varPlus) = Variances(split);
        if (w <= 0) return varPlus <= 0 ? 1.0 : double.PositiveInfinity;
        return Math.Sqrt(varPlus / w);
    }

    /// <summary>Effective sample size of the mean over all chains (bulk ESS on split chains).</summary>
    public static double Ess(double[][] chains)
    {
        var split = Split(chains);
        if (split.Count == 0 || split[0].Length < 4) return double.NaN;
        int m = split.Count, n = split[0].Length;
        var (w, varPlus) = Variances(split);
        if (varPlus <= 0) return m * n;
        var acov = split.Select(Autocovariance).ToArray();
        var rho = new double[n];
        for (int t = 0; t < n; t++)
        {
            double meanAcov = 0;
            for (int c = 0; c < m; c++) meanAcov += acov[c][t];
            meanAcov /= m;
            rho[t] = 1.0 - (w - meanAcov) / varPlus;
        }
        // Geyer's initial positive sequence of pair sums, made monotone.
        double tau = -1;
        double prevPair = double.PositiveInfinity;
        for (int t = 0; t + 1 < Math.Min(n, MaxLag); t += 2)
        {
            double pair = rho[t] + rho[t + 1];
            if (pair <= 0) break;
            pair = Math.Min(pair, prevPair);
            prevPair = pair;
            tau += 2 * pair;
        }
        tau = Math.Max(tau, 1.0 / Math.Log10(m * n));
        return m * n / tau;
    }

    /// <summary>Fraction of all values strictly below <paramref name="threshold"/>.</summary>
    public static double FractionBelow(double[][] chains, double threshold)
    {
        long below = 0, total = 0;
        foreach (var c in chains) foreach (var v in c) { total++; if (v < threshold) below++; }
        return total == 0 ? 0 : (double)below / total;
    }

    static List<double[]> Split(double[][] chains)
    {
        var result = new List<double[]>();
        int n = chains.Length == 0 ? 0 : chains.Min(c => c.Length) / 2;
        if (n == 0) return result;
        foreach (var c in chains)
        {
            int off = c.Length - 2 * n; // drop the first value of odd-length chains
            result.Add(c.Skip(off).Take(n).ToArray());
            result.Add(c.Skip(off + n).Take(n).ToArray());
        }
        return result;
    }

    static (double W, double VarPlus) Variances(List<double[]> chains)
    {
        int m = chains.Count, n = chains[0].Length;
        var means = chains.Select(c => c.Average()).ToArray();
        double grand = means.Average();
        double b = m > 1 ? n * means.Sum(x => (x - grand) * (x - grand)) / (m - 1) : 0;
        double w = chains.Select((c, i) => c.Sum(x => (x - means[i]) * (x - means[i])) / (n - 1)).Average();
        return (w, (n - 1.0) / n * w + b / n);
    }

    /// <summary>Biased autocovariance (divisor n) at lags 0…n−1, by direct summation (chains here are short).</summary>
    static double[] Autocovariance(double[] x)
    {
        int n = x.Length;
        double mean = x.Average();
        var d = x.Select(v => v - mean).ToArray();
        var r = new double[n];
        int maxLag = Math.Min(n, MaxLag);
        for (int t = 0; t < maxLag; t++)
        {
            double s = 0;
            for (int i = 0; i + t < n; i++) s += d[i] * d[i + t];
            r[t] = s / n;
        }
        return r;
    }
}
