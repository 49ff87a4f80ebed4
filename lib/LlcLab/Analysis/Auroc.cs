using LlcLab.Runtime;
using LlcLab.Unlearning;

namespace LlcLab.Analysis;

/// <summary>An AUROC with a percentile-bootstrap interval.</summary>
/// <param name="Value">AUROC on the full sample: P(score of a positive &gt; score of a negative) + ½·P(tie).</param>
/// <param name="Low">2.5 % bootstrap quantile (for level 0.95).</param>
/// <param name="High">97.5 % bootstrap quantile.</param>
/// <param name="BootstrapStd">Standard deviation of the bootstrap replicates.</param>
/// <param name="Positives">Number of positives.</param>
/// <param name="Negatives">Number of negatives.</param>
public sealed record AurocEstimate(double Value, double Low, double High, double BootstrapStd, int Positives, int Negatives)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Value:F2} [{Low:F2}, {High:F2}] (n = {Positives} + {Negatives})");
}

/// <summary>
/// AUROC of a score for separating positives from negatives, = the Mann–Whitney U / (n₊n₋) with mid-ranks for ties (the one
/// definition in <see cref="MembershipInference.Auc"/>), and its uncertainty by a <b>stratified</b> bootstrap: each replicate
/// redraws n₊ positives and n₋ negatives with replacement (so every replicate has both classes), from a private generator.
/// <see cref="Difference"/> bootstraps AUROC(a) − AUROC(b) on the <em>same</em> resampled units (paired), the right interval for
/// "does signal a separate better than signal b on these runs".
/// </summary>
public static class Auroc
{
    /// <summary>AUROC of <paramref name="scores"/> (higher = positive) against <paramref name="labels"/> (true = positive).</summary>
    public static double Of(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        Check(scores, labels);
        var pos = scores.Where((_, i) => labels[i]).ToList();
        var neg = scores.Where((_, i) => !labels[i]).ToList();
        return MembershipInference.Auc(pos, neg);
    }

    /// <summary>AUROC with a percentile-bootstrap interval at <paramref name="level"/> from <paramref name="resamples"/> stratified replicates.</summary>
    public static AurocEstimate WithCi(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, int resamples = 2000, double level = 0.95, long seed = 0)
    {
        Check(scores, labels);
        var reps = Replicates(labels, resamples, seed).Select(idx => Of(Pick(scores, idx), Pick(labels, idx))).ToArray();
        return Summarise(Of(scores, labels), reps, labels, level);
    }

    /// <summary>AUROC(<paramref name="a"/>) − AUROC(<paramref name="b"/>) on the same units, with a paired stratified-bootstrap interval.</summary>
    public static AurocEstimate Difference(IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<bool> labels, int resamples = 2000,
        double level = 0.95, long seed = 0)
    {
        Check(a, labels);
        Check(b, labels);
        var reps = Replicates(labels, resamples, seed).Select(idx =>
        {
            var l = Pick(labels, idx);
            return Of(Pick(a, idx), l) - Of(Pick(b, idx), l);
        }).ToArray();
        return Summarise(Of(a, labels) - Of(b, labels), reps, labels, level);
    }

    static AurocEstimate Summarise(double value, double[] reps, IReadOnlyList<bool> labels, double level)
    {
        Array.Sort(reps);
        double alpha = (1 - level) / 2, mean = reps.Average();
        double sd = Math.Sqrt(reps.Sum(r => (r - mean) * (r - mean)) / Math.Max(reps.Length - 1, 1));
        int p = labels.Count(l => l);
        return new AurocEstimate(value, Stats.Quantile(reps, alpha), Stats.Quantile(reps, 1 - alpha), sd, p, labels.Count - p);
    }

    /// <summary>Index sets of the stratified replicates (positives redrawn among positives, negatives among negatives).</summary>
    static IEnumerable<int[]> Replicates(IReadOnlyList<bool> labels, int resamples, long seed)
    {
        if (resamples < 10) throw new ArgumentException($"resamples must be ≥ 10 (got {resamples}).");
        var pos = Enumerable.Range(0, labels.Count).Where(i => labels[i]).ToArray();
        var neg = Enumerable.Range(0, labels.Count).Where(i => !labels[i]).ToArray();
        var rng = new Random((int)(Seeding.Derive(seed, 4242) & 0x7fffffff));
        for (int b = 0; b < resamples; b++)
            yield return pos.Select(_ => pos[rng.Next(pos.Length)]).Concat(neg.Select(_ => neg[rng.Next(neg.Length)])).ToArray();
    }

    static T[] Pick<T>(IReadOnlyList<T> xs, int[] idx) => idx.Select(i => xs[i]).ToArray();

    static void Check(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count) throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels; pass one label per score.");
        if (!labels.Any(l => l) || labels.All(l => l)) throw new ArgumentException("An AUROC needs at least one positive and one negative.");
        if (scores.Any(double.IsNaN)) throw new ArgumentException("AUROC scores contain NaN; drop those units first.");
    }
}
