using LlcLab.IO;

namespace LlcLab.Experiments;

/// <summary>One trajectory read both ways: Spearman ρ between its (A) and (B) λ̂ over the checkpoints, and whether the
/// net change (last − first checkpoint) has the same sign under both.</summary>
public sealed record TrajectoryPair(string Procedure, long Seed, string Layer, string DataSubset, int Points, double Spearman, bool SameDirection,
    double ChangeA, double ChangeB);

/// <summary>A group of <see cref="TrajectoryPair"/>s summarised: mean ρ with its 95 % t-interval over trajectories, and the
/// fraction whose net change agrees in sign.</summary>
public sealed record TrajectoryAgreementSummary(string Group, int Trajectories, Summary Spearman, double SameDirectionRate);

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
            .ToDictionary(r => (r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step), r => r.Value);
        var pairs = new List<TrajectoryPair>();
        foreach (var g in a.GroupBy(r => (r.Procedure, r.Seed, r.Layer, r.DataSubset)))
        {
            var pts = g.Where(r => r.Step is not null && b.ContainsKey((r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step)))
                .OrderBy(r => r.Step).Select(r => (A: r.Value, B: b[(r.Procedure, r.Seed, r.Layer, r.DataSubset, r.Step)])).ToList();
            if (pts.Count < 3) continue;
            var xa = pts.Select(p => p.A).ToArray(); var xb = pts.Select(p => p.B).ToArray();
            double rho = Stats.Spearman(xa, xb);
            double ca = xa[^1] - xa[0], cb = xb[^1] - xb[0];
            pairs.Add(new TrajectoryPair(g.Key.Procedure, g.Key.Seed ?? 0, g.Key.Layer ?? "", g.Key.DataSubset ?? "", pts.Count, rho,
                Math.Sign(ca) == Math.Sign(cb), ca, cb));
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
            return new TrajectoryAgreementSummary(name, ps.Count, rho.Count > 0 ? Stats.Summarize(rho) : new Summary(double.NaN, double.NaN, 0, double.NaN, double.NaN, 0.95),
                ps.Count > 0 ? ps.Count(p => p.SameDirection) / (double)ps.Count : double.NaN);
        }
        var list = new List<TrajectoryAgreementSummary> { One("all", pairs) };
        list.AddRange(pairs.GroupBy(groupBy).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => One(g.Key, g.ToList())));
        return list;
    }

    /// <summary>Tidy rows of the pairs: metric <c>ab_spearman</c> and <c>ab_same_direction</c> keyed by procedure, seed, layer, subset.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<TrajectoryPair> pairs, string experiment, string model)
    {
        foreach (var p in pairs)
        {
            yield return LlcRows.Metric(experiment, model, "ab_spearman", p.Spearman, p.Procedure, p.Seed, layer: p.Layer, dataSubset: p.DataSubset);
            yield return LlcRows.Metric(experiment, model, "ab_same_direction", p.SameDirection ? 1 : 0, p.Procedure, p.Seed, layer: p.Layer, dataSubset: p.DataSubset);
        }
    }
}
