namespace LlcLab.Unlearning;

/// <summary>Result of a threshold membership-inference attack.</summary>
/// <param name="Auc">P(score_member &gt; score_nonmember) + ½·P(tie): the Mann–Whitney U statistic / (n_m·n_n).</param>
/// <param name="BestAccuracy">max over thresholds of the balanced accuracy (TPR + TNR)/2 of "member iff score ≥ threshold"
/// (chosen on the same samples, so an optimistic upper bound; chance is 0.5 whatever the class sizes).</param>
/// <param name="Members">Number of member samples.</param>
/// <param name="NonMembers">Number of non-member samples.</param>
public sealed record AttackResult(double Auc, double BestAccuracy, int Members, int NonMembers);

/// <summary>
/// The loss-threshold membership-inference attack (Yeom et al. 2018): score = −ℓ(f(x), y); samples the
/// model was trained on tend to have lower loss. Used on D_f (members of the original training set)
/// against held-out test samples: after successful unlearning the attack should be at chance (AUC ≈ 0.5),
/// as it is for a model retrained without D_f.
/// </summary>
public static class MembershipInference
{
    /// <summary>Exact AUC via the Mann–Whitney statistic with mid-ranks for ties: U = R_m − n_m(n_m+1)/2, AUC = U/(n_m n_n).</summary>
    public static double Auc(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores)
    {
        Check(memberScores, nonMemberScores);
        int m = memberScores.Count, n = nonMemberScores.Count;
        var all = memberScores.Select(s => (s, member: true)).Concat(nonMemberScores.Select(s => (s, member: false)))
            .OrderBy(p => p.s).ToArray();
        double rankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j + 1 < all.Length && all[j + 1].s == all[i].s) j++;
            double midRank = (i + j) / 2.0 + 1; // 1-based average rank of the tie block
            for (int k = i; k <= j; k++) if (all[k].member) rankSum += midRank;
            i = j + 1;
        }
        double u = rankSum - m * (m + 1) / 2.0;
        return u / ((double)m * n);
    }

    /// <summary>Best balanced accuracy of "member iff score ≥ τ" over all τ (including τ = +∞, which gives 0.5).</summary>
    public static double BestThresholdAccuracy(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores)
    {
        Check(memberScores, nonMemberScores);
        int m = memberScores.Count, n = nonMemberScores.Count;
        var all = memberScores.Select(s => (s, member: true)).Concat(nonMemberScores.Select(s => (s, member: false)))
            .OrderByDescending(p => p.s).ToArray();
        double best = 0.5;
        int tp = 0, fp = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].s == all[i].s) { if (all[j].member) tp++; else fp++; j++; }
            best = Math.Max(best, 0.5 * ((double)tp / m + (double)(n - fp) / n));
            i = j;
        }
        return best;
    }

    /// <summary>Runs the loss-threshold attack given per-sample losses of members and non-members.</summary>
    public static AttackResult FromLosses(IReadOnlyList<double> memberLosses, IReadOnlyList<double> nonMemberLosses)
    {
        var ms = memberLosses.Select(l => -l).ToArray();
        var ns = nonMemberLosses.Select(l => -l).ToArray();
        return new AttackResult(Auc(ms, ns), BestThresholdAccuracy(ms, ns), ms.Length, ns.Length);
    }

    static void Check(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count == 0 || b.Count == 0) throw new ArgumentException("A membership attack needs at least one member and one non-member sample.");
        if (a.Concat(b).Any(double.IsNaN)) throw new ArgumentException("Membership-attack scores contain NaN; the model's losses are not finite.");
    }
}

/// <summary>
/// Loss-threshold membership inference on D_f (members) versus the held-out test set (non-members):
/// metrics <c>mia_auc</c> and <c>mia_accuracy</c> with data_subset <c>forget_vs_test</c>.
/// </summary>
public sealed class MembershipInferenceMetric : ICheckpointMetric
{
    public string Name => "membership_inference";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        var test = c.Data.RequireTest("The membership-inference metric");
        var r = MembershipInference.FromLosses(
            ModelEval.PerSampleLoss(c.Model, c.Data.Forget.X, c.Data.Forget.Y),
            ModelEval.PerSampleLoss(c.Model, test.X, test.Y));
        yield return new MetricValue("mia_auc", r.Auc) { DataSubset = "forget_vs_test" };
        yield return new MetricValue("mia_accuracy", r.BestAccuracy) { DataSubset = "forget_vs_test" };
    }
}
