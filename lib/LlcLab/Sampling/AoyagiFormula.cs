namespace LlcLab.Sampling;

/// <summary>
/// Exact learning coefficients of linear networks (ground truth for the estimator).
/// <para><see cref="DeepLinear"/>: Aoyagi (2024), "Consideration on the learning efficiency of multiple-layered neural
/// networks with linear units", Neural Networks 172 (Theorem 1; preprint SSRN 4404877, 2023), for a deep linear
/// network with widths H_0 (input), H_1, …, H_L (output) whose end-to-end matrix has rank r. With M_j = H_j − r, choose
/// the subset Σ ⊆ {0…L}, |Σ| = ℓ + 1, with max_Σ M &lt; min_{∉Σ} M, Σ_Σ M ≥ ℓ·max_Σ M and Σ_Σ M &lt; ℓ·min_{∉Σ} M. Then with
/// S = Σ_Σ M_σ, M̄ = ⌈S/ℓ⌉ and a = S − (M̄ − 1)ℓ:</para>
/// <code>λ = (−r² + r(H_0 + H_L))/2 + a(ℓ − a)/(4ℓ) − ℓ(ℓ − 1)/4·(S/ℓ)² + ½·Σ_{i&lt;j ∈ Σ} M_i M_j</code>
/// <para><see cref="ReducedRank"/>: Aoyagi &amp; Watanabe (2005), "Stochastic complexities of reduced rank regression in
/// Bayesian estimation", Neural Networks 18(7), Theorem 1 — the two-layer case, in its four-case form.</para>
/// </summary>
public static class AoyagiFormula
{
    /// <summary>λ for a deep linear network with layer widths <paramref name="widths"/> (input first, output last) and a
    /// true end-to-end matrix of rank <paramref name="rank"/>.</summary>
    public static double DeepLinear(IReadOnlyList<long> widths, int rank)
    {
        if (widths.Count < 2) throw new ArgumentException("A deep linear network needs at least an input and an output width.");
        if (widths.Any(w => w < 1)) throw new ArgumentException("Widths must be positive.");
        if (rank < 0 || rank > widths.Min())
            throw new ArgumentException($"Rank {rank} is impossible for widths {string.Join("-", widths)}: it must be between 0 and the smallest width ({widths.Min()}).");
        long r = rank;
        long h0 = widths[0], hL = widths[^1];
        var m = widths.Select(w => w - r).ToArray();
        var sigma = FindSubset(m);
        var sub = sigma.Select(i => (double)m[i]).ToArray();
        int ell = sub.Length - 1;
        double term1 = (-(double)r * r + r * (double)(h0 + hL)) / 2.0;
        if (ell == 0) return term1; // a single smallest M (=0 when r is the bottleneck width): no extra terms
        double s = sub.Sum();
        double mBar = Math.Ceiling(s / ell);
        double a = s - (mBar - 1) * ell;
        double pairs = 0;
        for (int i = 0; i < sub.Length; i++)
            for (int j = i + 1; j < sub.Length; j++) pairs += sub[i] * sub[j];
        return term1 + a * (ell - a) / (4.0 * ell) - ell * (ell - 1) / 4.0 * (s / ell) * (s / ell) + pairs / 2.0;
    }

    /// <summary>λ for reduced-rank regression x ∈ ℝ^M → BAx ∈ ℝ^N with H hidden units and true rank r
    /// (Aoyagi &amp; Watanabe 2005, Theorem 1).</summary>
    public static double ReducedRank(long m, long h, long n, int rank)
    {
        long r = rank;
        if (r < 0 || r > Math.Min(h, Math.Min(m, n))) throw new ArgumentException($"Rank {rank} must be between 0 and min(M, H, N).");
        if (n + r <= m + h && m + r <= n + h && h + r <= m + n)
        {
            double core = 2.0 * (h + r) * (m + n) - (double)(m - n) * (m - n) - (double)(h + r) * (h + r);
            return (m + h + n + r) % 2 == 0 ? core / 8.0 : (core + 1) / 8.0;
        }
        if (m + h < n + r) return (h * m - h * r + n * r) / 2.0;
        if (n + h < m + r) return (h * n - h * r + m * r) / 2.0;
        return m * n / 2.0; // M + N < H + r
    }

    /// <summary>The subset Σ of Aoyagi's theorem (indices into <paramref name="m"/>); searched over subsets ordered by the
    /// values, since Σ must consist of the ℓ+1 smallest M_j.</summary>
    internal static int[] FindSubset(IReadOnlyList<long> m)
    {
        var order = Enumerable.Range(0, m.Count).OrderBy(i => m[i]).ThenBy(i => i).ToArray();
        for (int size = 1; size <= m.Count; size++)
        {
            var sub = order.Take(size).ToArray();
            var rest = order.Skip(size).ToArray();
            int ell = size - 1;
            long max = sub.Max(i => m[i]);
            long sum = sub.Sum(i => m[i]);
            if (rest.Length > 0 && !(max < rest.Min(i => m[i]))) continue;
            if (!(sum >= ell * max)) continue;
            if (rest.Length > 0 && !(sum < ell * rest.Min(i => m[i]))) continue;
            return sub;
        }
        throw new InvalidOperationException($"No subset satisfies Aoyagi's conditions for M = [{string.Join(", ", m)}] (should not happen).");
    }
}
