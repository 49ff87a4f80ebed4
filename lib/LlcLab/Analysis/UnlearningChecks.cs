using LlcLab.IO;
using LlcLab.Protocols;

namespace LlcLab.Analysis;

/// <summary>A measure of unlearning read from the RQ4 table: its metric, data subset, and the smallest retrain − original gap that
/// counts as resolved for metrics without a standard error (accuracies, AUC, steps). λ̂ metrics use 2 standard errors instead.</summary>
public sealed record UnlearningMeasure(string Name, string Metric, string DataSubset, double MinGap = 0.05, string? Layer = null)
{
    /// <summary>Whether the gap is judged by the rows' standard errors (λ̂ metrics, across chains) rather than <see cref="MinGap"/>.</summary>
    public bool UsesStandardError => Metric.StartsWith("llc", StringComparison.Ordinal);
}

/// <summary>How often an LLC-based check agrees with one behavioural measure over the judged runs. <paramref name="Majority"/> is how
/// many of those runs share the measure's most common verdict: the agreement of a check that always gives that verdict, the baseline an
/// informative check must beat (when most procedures unlearn, "always unlearned" already agrees often).</summary>
public sealed record CheckAgreement(string Check, string Measure, int Agree, int Judged, int Majority = 0)
{
    /// <summary>Agree ÷ Judged (NaN when nothing was judged).</summary>
    public double Rate => Judged == 0 ? double.NaN : (double)Agree / Judged;
    /// <summary>Majority ÷ Judged: the constant check's agreement (NaN when nothing was judged).</summary>
    public double MajorityRate => Judged == 0 ? double.NaN : (double)Majority / Judged;
}

/// <summary>One run where an LLC-based check and a behavioural measure disagree.</summary>
public sealed record CheckDisagreement(string Check, string Measure, string Procedure, long Seed, bool CheckSaysUnlearned, bool MeasureSaysUnlearned);

/// <summary>
/// Checks of unlearning on one common scale — <b>progress toward retrain</b> for the same seed,
/// s = (m_proc − m_original) / (m_retrain − m_original): 0 is "like the original", 1 "like the gold standard"; a run counts as unlearned
/// by m when s ≥ ½ (closer to retrain than to the original). A seed gives no verdict on m when its retrain − original gap is not
/// resolved (λ̂: |gap| ≤ 2 s.e. from the chains; other metrics: |gap| ≤ <see cref="UnlearningMeasure.MinGap"/>). Putting LLC-based and
/// behavioural measures on the same scale makes their verdicts comparable without choosing thresholds per metric.
/// </summary>
public sealed class UnlearningChecks
{
    readonly ExperimentResult result;

    /// <summary>The reference procedures ("original", "retrain") and the threshold on s.</summary>
    public const string Original = "original", Retrain = "retrain";
    /// <summary>s at or above which a run counts as unlearned.</summary>
    public const double Threshold = 0.5;

    /// <summary>Wraps the RQ4 table (<see cref="UnlearningLlcExperiment"/>); it must hold the "original" and "retrain" procedures.</summary>
    public UnlearningChecks(ExperimentResult rq4)
    {
        ArgumentNullException.ThrowIfNull(rq4);
        foreach (var p in new[] { Original, Retrain })
            if (!rq4.Table.Any(r => r.Procedure == p))
                throw new ArgumentException($"The table has no '{p}' rows: the checks measure progress from the original toward retrain, so run both procedures.");
        result = rq4;
    }

    /// <summary>The four behavioural measures of notebook 06 (probe at <paramref name="probeLayer"/>).</summary>
    public static IReadOnlyList<UnlearningMeasure> Behavioural(string probeLayer) =>
    [
        new("forget accuracy", "accuracy", "forget"), new("membership AUC", "mia_auc", "forget_vs_test"),
        new("relearn steps", "relearn_steps", "forget", MinGap: 1), new("probe accuracy", "probe_accuracy", "test_halves", Layer: probeLayer),
    ];

    /// <summary>λ̂ on D_r after re-minimising on D_r (the retain-set LLC).</summary>
    public static UnlearningMeasure RetainLlc { get; } = new("ΔLLC on D_r", "llc", "retain");
    /// <summary>nβ·(E[L_f] − L_f(w*)) along the D_r posterior (the forget-set LLC).</summary>
    public static UnlearningMeasure ForgetLlc { get; } = new("forget-set λ̂", "llc_forget", "forget");

    /// <summary>Name of the reference-free variant of the retain-set check (see <see cref="NoReferenceVerdict"/>).</summary>
    public const string NoReferenceName = "ΔLLC on D_r, no reference";

    ResultRow Row(UnlearningMeasure m, string procedure, long seed) =>
        result.Rows(m.Metric, procedure, dataSubset: m.DataSubset, layer: m.Layer).SingleOrDefault(r => r.Seed == seed)
        ?? throw new InvalidOperationException($"No '{m.Metric}' row on '{m.DataSubset}' for {procedure}, seed {seed} in {result.Name}.");

    static double Se(ResultRow r) => (r.Std ?? 0) / Math.Sqrt(Math.Max(r.NChains ?? 1, 1));
    static double PairSe(ResultRow a, ResultRow b) => Math.Sqrt(Se(a) * Se(a) + Se(b) * Se(b));

    /// <summary>s for <paramref name="procedure"/> at <paramref name="seed"/>, or null when the seed's retrain − original gap is not resolved.</summary>
    public double? Progress(UnlearningMeasure m, string procedure, long seed)
    {
        var (o, re, x) = (Row(m, Original, seed), Row(m, Retrain, seed), Row(m, procedure, seed));
        double gap = re.Value - o.Value;
        double need = m.UsesStandardError ? 2 * PairSe(o, re) : m.MinGap;
        return Math.Abs(gap) <= need ? null : (x.Value - o.Value) / gap;
    }

    /// <summary>Unlearned by <paramref name="m"/> (s ≥ ½), or null when the seed gives no verdict.</summary>
    public bool? Verdict(UnlearningMeasure m, string procedure, long seed) => Progress(m, procedure, seed) is { } s ? s >= Threshold : null;

    /// <summary>
    /// The retain-set check without a retrained model's value: unlearned when λ̂ on D_r moved from the original's by more than 2 s.e. in
    /// the direction retrain moves it (only the sign of retrain's move is borrowed); null when that sign is not resolved.
    /// </summary>
    public bool? NoReferenceVerdict(string procedure, long seed)
    {
        var (o, re, x) = (Row(RetainLlc, Original, seed), Row(RetainLlc, Retrain, seed), Row(RetainLlc, procedure, seed));
        if (Math.Abs(re.Value - o.Value) <= 2 * PairSe(o, re)) return null;
        return (x.Value - o.Value) * Math.Sign(re.Value - o.Value) > 2 * PairSe(o, x);
    }

    /// <summary>The three LLC-based checks of notebook 06, by name.</summary>
    public IReadOnlyList<(string Name, Func<string, long, bool?> Verdict)> LlcChecks() =>
    [
        (RetainLlc.Name, (p, s) => Verdict(RetainLlc, p, s)),
        (NoReferenceName, NoReferenceVerdict),
        (ForgetLlc.Name, (p, s) => Verdict(ForgetLlc, p, s)),
    ];

    /// <summary>
    /// Agreement of every LLC-based check with every behavioural measure over <paramref name="runs"/> (procedure, seed), plus the
    /// disagreeing runs. Pairs where either side gives no verdict are not counted.
    /// </summary>
    public (IReadOnlyList<CheckAgreement> Agreement, IReadOnlyList<CheckDisagreement> Disagreements) Compare(
        IEnumerable<(string Procedure, long Seed)> runs, IReadOnlyList<UnlearningMeasure> behavioural)
    {
        var runList = runs.ToList();
        var agreement = new List<CheckAgreement>();
        var disagreements = new List<CheckDisagreement>();
        foreach (var (name, check) in LlcChecks())
            foreach (var m in behavioural)
            {
                int agree = 0, judged = 0, unlearned = 0;
                foreach (var (p, s) in runList)
                {
                    if (check(p, s) is not { } l || Verdict(m, p, s) is not { } b) continue;
                    judged++;
                    if (b) unlearned++;
                    if (l == b) agree++; else disagreements.Add(new CheckDisagreement(name, m.Name, p, s, l, b));
                }
                agreement.Add(new CheckAgreement(name, m.Name, agree, judged, Math.Max(unlearned, judged - unlearned)));
            }
        return (agreement, disagreements);
    }

    /// <summary>Tidy rows of an agreement table for the summary notebook: per (check, measure) "check_judged" (runs with both verdicts) and,
    /// when any were judged, "check_agreement" (rate) and "check_majority_baseline" (the constant check's rate); model = check name,
    /// data_subset = behavioural measure.</summary>
    public static IEnumerable<ResultRow> ToRows(IEnumerable<CheckAgreement> agreement, string experiment)
    {
        foreach (var a in agreement)
        {
            yield return new ResultRow { Experiment = experiment, Model = a.Check, Procedure = "llc-check", Metric = "check_judged", Value = a.Judged, DataSubset = a.Measure };
            if (a.Judged == 0) continue;
            yield return new ResultRow { Experiment = experiment, Model = a.Check, Procedure = "llc-check", Metric = "check_agreement", Value = a.Rate, DataSubset = a.Measure };
            yield return new ResultRow { Experiment = experiment, Model = a.Check, Procedure = "llc-check", Metric = "check_majority_baseline", Value = a.MajorityRate, DataSubset = a.Measure };
        }
    }
}
