using LlcLab.IO;
using LlcLab.Protocols;

namespace LlcLab.Analysis;

/// <summary>One trajectory read both ways: Spearman ρ between its (A) and (B) λ̂ over the checkpoints, and whether the
/// net change (last − first checkpoint) has the same sign under both.</summary>
public sealed record TrajectoryPair(string Procedure, long Seed, string Layer, string DataSubset, int Points, double Spearman, bool SameDirection,
    double ChangeA, double ChangeB, string Model = "");

/// <summary>A group of <see cref="TrajectoryPair"/>s summarised: mean ρ with its 95 % t-interval over trajectories (clipped to
/// [−1, 1]), and the fraction whose net change agrees in sign with its 95 % Wilson score interval.</summary>
public sealed record TrajectoryAgreementSummary(string Group, int Trajectories, Summary Spearman, double SameDirectionRate,
    double SameDirectionLow, double SameDirectionHigh)
{
    /// <summary>
    /// The rule notebook 08 states before looking: the reference choice <see cref="Verdict.DoesNotDrive"/> the trajectory when the
    /// mean ρ's interval lies above 0.5 and the direction rate's interval above ½; it <see cref="Verdict.Drives"/> it when the ρ
    /// interval lies below 0.5 or the direction rate's below ½; otherwise <see cref="Verdict.CannotTell"/> (also with &lt; 2 defined ρ).
    /// </summary>
    public Verdict Decide() =>
        Spearman.N < 2 ? Verdict.CannotTell
        : Spearman.CiLow > 0.5 && SameDirectionLow > 0.5 ? Verdict.DoesNotDrive
        : Spearman.CiHigh < 0.5 || SameDirectionHigh < 0.5 ? Verdict.Drives
        : Verdict.CannotTell;

    /// <summary>Outcome of <see cref="Decide"/>.</summary>
    public enum Verdict { DoesNotDrive, Drives, CannotTell }
}

/// <summary>
/// Does the choice of reference point drive the trajectory? For every (procedure, seed, layer, data subset) with both
/// readings — (A) λ̂ at the checkpoint and (B) λ̂ after re-minimising on L_r (<see cref="TrajectoryReference"/>) — compare the
/// two sequences over the checkpoints by rank correlation (shape) and by the sign of their net change (direction). All
/// estimates enter, valid or not: the question is whether the <em>definition</em> changes the answer, and the validity
/// flags are reported separately.
/// </summary>
public static class TrajectoryAgreement
{
    /// <summary>Every trajectory with ≥ 3 checkpoints in both readings.</summary>
    public static IReadOnlyList<TrajectoryPair> Pairs(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var a = result.Rows(TrajectoryLlc.CheckpointMetric).ToList();
        var b = result.Rows(TrajectoryLlc.ReminimisedMetric)
            .ToDictionary(r => (r.Model, r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step), r => r.Value);
        var pairs = new List<TrajectoryPair>();
        foreach (var g in a.GroupBy(r => (r.Model, r.Procedure, r.Seed, r.Layer, r.DataSubset)))
        {
            var pts = g.Where(r => r.Step is not null && b.ContainsKey((r.Model, r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step)))
                .OrderBy(r => r.Step).Select(r => (A: r.Value, B: b[(r.Model, r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step)])).ToList();
            if (pts.Count < 3) continue;
            var xa = pts.Select(p => p.A).ToArray(); var xb = pts.Select(p => p.B).ToArray();
            double rho = Stats.Spearman(xa, xb);
            double ca = xa[^1] - xa[0], cb = xb[^1] - xb[0];
            pairs.Add(new TrajectoryPair(g.Key.Procedure, g.Key.Seed ?? 0, g.Key.Layer ?? "", g.Key.DataSubset ?? "", pts.Count, rho,
                Math.Sign(ca) == Math.Sign(cb), ca, cb, g.Key.Model));
        }
        return pairs;
    }

    /// <summary>Summaries by <paramref name="groupBy"/> (e.g. p =&gt; p.Procedure), plus an "all" row first. Trajectories with a
    /// constant reading (ρ undefined) are left out of the mean ρ but counted in the direction rate.</summary>
    public static IReadOnlyList<TrajectoryAgreementSummary> Summarise(IReadOnlyList<TrajectoryPair> pairs, Func<TrajectoryPair, string> groupBy)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(groupBy);
        TrajectoryAgreementSummary One(string name, IReadOnlyList<TrajectoryPair> ps)
        {
            var rho = ps.Select(p => p.Spearman).Where(double.IsFinite).ToList();
            var s = rho.Count > 0 ? Stats.Summarize(rho) : new Summary(double.NaN, double.NaN, 0, double.NaN, double.NaN, 0.95);
            if (s.N > 1) s = s with { CiLow = Math.Max(-1, s.CiLow), CiHigh = Math.Min(1, s.CiHigh) };
            int k = ps.Count(p => p.SameDirection);
            var (lo, hi) = Wilson(k, ps.Count);
            return new TrajectoryAgreementSummary(name, ps.Count, s, ps.Count > 0 ? k / (double)ps.Count : double.NaN, lo, hi);
        }
        var list = new List<TrajectoryAgreementSummary> { One("all", pairs) };
        list.AddRange(pairs.GroupBy(groupBy).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => One(g.Key, g.ToList())));
        return list;
    }

    /// <summary>95 % Wilson score interval of a proportion k/n (NaN for n = 0).</summary>
    public static (double Low, double High) Wilson(int k, int n, double z = 1.959963984540054)
    {
        if (n <= 0) return (double.NaN, double.NaN);
        double p = (double)k / n, z2 = z * z, d = 1 + z2 / n;
        double c = (p + z2 / (2 * n)) / d, h = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / d;
        return (Math.Max(0, c - h), Math.Min(1, c + h));
    }

    /// <summary>Tidy rows of the pairs: metric <c>ab_spearman</c> and <c>ab_same_direction</c> keyed by model (the pair's own problem,
    /// else <paramref name="model"/>), procedure, seed, layer, subset.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<TrajectoryPair> pairs, string experiment, string model = "")
    {
        foreach (var p0 in pairs)
        {
            var p = p0; string m = p.Model.Length > 0 ? p.Model : model;
            yield return LlcRows.Metric(experiment, m, "ab_spearman", p.Spearman, p.Procedure, p.Seed, layer: p.Layer, dataSubset: p.DataSubset);
            yield return LlcRows.Metric(experiment, m, "ab_same_direction", p.SameDirection ? 1 : 0, p.Procedure, p.Seed, layer: p.Layer, dataSubset: p.DataSubset);
        }
    }
}
