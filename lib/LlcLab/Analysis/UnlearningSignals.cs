using LlcLab.IO;
using LlcLab.Protocols;
using LlcLab.Tasks;

namespace LlcLab.Analysis;

/// <summary>A candidate signal: its name, whether it is LLC-based, and its orientation (+1: higher = unlearned; −1: lower = unlearned;
/// 0: not stated in advance — a trivial baseline, oriented on the data in its favour).</summary>
public sealed record SignalDefinition(string Name, bool IsLlc, int Orientation, string Description);

/// <summary>One audited model: its task, seed and name, its two labels (null = not labelled under that rule), its signal values,
/// and whether its λ̂ (and the reference retrain's) passed the minimum check.</summary>
public sealed record AuditUnit(string Task, long Seed, string Procedure, bool? ByConstruction, bool? ByBehaviour,
    IReadOnlyDictionary<string, double> Signals, bool LlcValid);

/// <summary>The AUROC of one signal in one group under one labelling; <paramref name="Orientation"/> is the sign the score was used with.</summary>
public sealed record SignalScore(string Labels, string Group, string Signal, bool IsLlc, int Orientation, AurocEstimate Auroc);

/// <summary>AUROC(LLC signal) − AUROC(baseline) on the same units, with its paired bootstrap interval.</summary>
public sealed record SignalComparison(string Labels, string Group, string Signal, string Baseline, AurocEstimate Difference)
{
    /// <summary>The LLC signal separates better beyond the interval: its lower end is above 0.</summary>
    public bool Beats => Difference.Low > 0;
}

/// <summary>Per (labelling, group): the LLC signals that beat <em>every</em> trivial baseline beyond the paired interval (possibly none).</summary>
public sealed record SignalVerdict(string Labels, string Group, int Units, IReadOnlyList<string> Winners, string? BestLlc, string? BestBaseline);

/// <summary>
/// Scores candidate signals of unlearning by AUROC for separating <b>unlearned</b> from <b>not unlearned</b> models of the RQ4 audit
/// (<see cref="UnlearningAuditExperiment"/>). The labels are defined without reference to any scored signal:
/// <list type="bullet">
/// <item><b>by construction</b> (the primary labelling): unlearned = a model retrained from scratch on D_r ("retrain-k"; its weights
///   never depended on D_f); not unlearned = the original and the hard negatives (<see cref="HardNegatives"/>: D_f's information is
///   in their weights by construction). The tuned approximate procedures are not labelled — they are what an audit would be asked
///   about, and their ground truth is unknown.</item>
/// <item><b>by behaviour</b> (secondary): the same, plus each approximate procedure labelled unlearned iff its forget accuracy is within
///   5 points of the reference retrain's <em>and</em> it takes at least half the reference retrain's relearning steps — D_f is neither
///   visible in the outputs nor quickly recoverable (neither quantity is a scored signal).</item>
/// </list>
/// The reference retrain ("retrain") is the yardstick of the reference-based LLC signals and is never scored. Signals:
/// LLC-based (orientation fixed in advance) — per-layer rLLC distance to the reference, mean over layers of |λ̂_l − λ̂_l^ref| / |λ̂_l^ref|
/// (lower = unlearned); |λ̂_r − λ̂_r^ref| (lower); |(λ̂_f − λ̂_r) − (λ̂_f − λ̂_r)^ref| (lower); λ̂_f − λ̂_r itself (higher: an unseen D_f costs
/// the posterior more than the fitted D_r); trivial baselines — ‖Δw‖, KL(original ‖ model) on D_f, ‖∇L_r‖ at the procedure's output,
/// tr ∇²L_r (Hutchinson, after re-minimising), optimiser steps, re-minimisation steps, forget loss — each oriented whichever way
/// separates better on the whole group (a data-driven choice that favours the baselines, so the comparison is conservative for the LLC).
/// Only units whose λ̂ passed the minimum check (and whose reference's did) are scored, by every signal, so the comparisons are paired.
/// Groups: each task ("digits/class", …, seeds pooled) and "all".
/// </summary>
public sealed class UnlearningSignals
{
    /// <summary>Labelling names.</summary>
    public const string Construction = "construction", Behaviour = "behaviour";

    /// <summary>The candidates, LLC-based first.</summary>
    public static IReadOnlyList<SignalDefinition> Definitions { get; } =
    [
        new("rLLC distance (per layer)", true, -1, "mean over layers of |λ̂_l − λ̂_l(ref)| / |λ̂_l(ref)|, weight-restricted λ̂ on D_r"),
        new("λ̂_r distance", true, -1, "|λ̂_r − λ̂_r(ref)|, all weights, on D_r"),
        new("λ̂_f − λ̂_r distance", true, -1, "|(λ̂_f − λ̂_r) − (λ̂_f − λ̂_r)(ref)|, forget loss measured along the D_r chains"),
        new("λ̂_f − λ̂_r", true, 1, "forget-vs-retain data-restricted λ̂ (no reference)"),
        new("‖Δw‖", false, 0, "‖w − w_original‖"),
        new("KL on D_f", false, 0, "KL(original ‖ model) averaged over D_f"),
        new("‖∇L_r‖", false, 0, "retain-loss gradient norm at the procedure's output"),
        new("Hessian trace", false, 0, "tr ∇²L_r (Hutchinson) after re-minimising"),
        new("optimiser steps", false, 0, "steps the procedure took"),
        new("re-minimisation steps", false, 0, "steps to a minimum of L_r"),
        new("forget loss", false, 0, "mean cross-entropy on D_f"),
    ];

    /// <summary>The audited units (every model but the reference).</summary>
    public IReadOnlyList<AuditUnit> Units { get; }

    /// <summary>Reads the audit table.</summary>
    public UnlearningSignals(ExperimentResult audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var rows = audit.Table.Where(r => r.Seed is not null).ToList();
        var index = rows.GroupBy(r => (r.Model, r.Seed!.Value, r.Procedure)).ToDictionary(g => g.Key, g => g.ToList());
        double? Get((string, long, string) key, string metric, string? subset, string? layer = null) =>
            index.TryGetValue(key, out var rs) ? rs.FirstOrDefault(r => r.Metric == metric && r.DataSubset == subset && r.Layer == layer && r.Step is null)?.Value : null;
        var units = new List<AuditUnit>();
        foreach (var ((task, seed, proc), rs) in index)
        {
            if (proc == UnlearningAuditExperiment.Reference || !rs.Any(r => r.Metric == "llc")) continue;
            var refKey = (task, seed, UnlearningAuditExperiment.Reference);
            if (!index.ContainsKey(refKey)) throw new ArgumentException($"The audit table has no reference retrain for {task}, seed {seed}; the LLC signals need it.");
            var key = (task, seed, proc);
            double Must(string metric, string? subset, string? layer = null, bool reference = false) =>
                Get(reference ? refKey : key, metric, subset, layer) ?? throw new ArgumentException($"No '{metric}' row ({subset}, {layer}) for {(reference ? UnlearningAuditExperiment.Reference : proc)} in {task}, seed {seed}.");
            var layers = rs.Where(r => r.Metric == "llc" && r.Layer is not null).Select(r => r.Layer!).Distinct().ToList();
            double lr = Must("llc", "retain"), lrRef = Must("llc", "retain", reference: true);
            double lf = Must("llc_forget", "forget"), lfRef = Must("llc_forget", "forget", reference: true);
            var s = new Dictionary<string, double>
            {
                ["rLLC distance (per layer)"] = layers.Average(l => Math.Abs(Must("llc", "retain", l) - Must("llc", "retain", l, true)) / Math.Abs(Must("llc", "retain", l, true))),
                ["λ̂_r distance"] = Math.Abs(lr - lrRef),
                ["λ̂_f − λ̂_r distance"] = Math.Abs((lf - lr) - (lfRef - lrRef)),
                ["λ̂_f − λ̂_r"] = lf - lr,
                ["‖Δw‖"] = Must("weight_distance", null),
                ["KL on D_f"] = Must("kl_forget", "forget"),
                ["‖∇L_r‖"] = Must("retain_grad_norm", "retain"),
                ["Hessian trace"] = Must("hessian_trace", "retain"),
                ["optimiser steps"] = Must("opt_steps", null),
                ["re-minimisation steps"] = Must("polish_steps", "retain"),
                ["forget loss"] = Must("loss", "forget"),
            };
            bool Valid((string, long, string) k) => index[k].Where(r => r.Metric == "llc_valid").All(r => r.Value > 0.5);
            bool? construction = proc == UnlearningAuditExperiment.Original || proc.StartsWith("hn-", StringComparison.Ordinal) ? false
                : proc.StartsWith("retrain-", StringComparison.Ordinal) ? true : null;
            bool? behaviour = construction ?? (Math.Abs(Must("accuracy", "forget") - Must("accuracy", "forget", reference: true)) <= 0.05
                && Must("relearn_steps", "forget") >= 0.5 * Must("relearn_steps", "forget", reference: true));
            units.Add(new AuditUnit(task, seed, proc, construction, behaviour, s, Valid(key) && Valid(refKey)));
        }
        Units = units.OrderBy(u => u.Task, StringComparer.Ordinal).ThenBy(u => u.Seed).ThenBy(u => u.Procedure, StringComparer.Ordinal).ToList();
    }

    /// <summary>The groups scored: each task, then "all".</summary>
    public IReadOnlyList<string> Groups => Units.Select(u => u.Task).Distinct().Append("all").ToList();

    /// <summary>The units of <paramref name="group"/> that carry a label under <paramref name="labels"/> and a valid λ̂.</summary>
    public IReadOnlyList<(AuditUnit Unit, bool Label)> Scored(string labels, string group) =>
        Units.Where(u => (group == "all" || u.Task == group) && u.LlcValid)
            .Select(u => (u, labels == Construction ? u.ByConstruction : u.ByBehaviour))
            .Where(t => t.Item2 is not null).Select(t => (t.u, t.Item2!.Value)).ToList();

    /// <summary>AUROCs, paired comparisons of every LLC signal with every baseline, and the verdicts, for both labellings and all groups.</summary>
    public (IReadOnlyList<SignalScore> Scores, IReadOnlyList<SignalComparison> Comparisons, IReadOnlyList<SignalVerdict> Verdicts) Score(int resamples = 2000, long seed = 0)
    {
        var scores = new List<SignalScore>();
        var comparisons = new List<SignalComparison>();
        var verdicts = new List<SignalVerdict>();
        foreach (var labels in new[] { Construction, Behaviour })
            foreach (var group in Groups)
            {
                var set = Scored(labels, group);
                var y = set.Select(t => t.Label).ToArray();
                if (!y.Any(v => v) || y.All(v => v)) continue; // no AUROC without both classes
                var oriented = new Dictionary<string, double[]>();
                foreach (var d in Definitions)
                {
                    var raw = set.Select(t => t.Unit.Signals[d.Name]).ToArray();
                    int sign = d.Orientation != 0 ? d.Orientation : Auroc.Of(raw, y) >= 0.5 ? 1 : -1;
                    oriented[d.Name] = raw.Select(v => sign * v).ToArray();
                    scores.Add(new SignalScore(labels, group, d.Name, d.IsLlc, sign, Auroc.WithCi(oriented[d.Name], y, resamples, seed: seed)));
                }
                var winners = new List<string>();
                foreach (var l in Definitions.Where(d => d.IsLlc))
                {
                    var cs = Definitions.Where(d => !d.IsLlc)
                        .Select(b => new SignalComparison(labels, group, l.Name, b.Name, Auroc.Difference(oriented[l.Name], oriented[b.Name], y, resamples, seed: seed))).ToList();
                    comparisons.AddRange(cs);
                    if (cs.All(c => c.Beats)) winners.Add(l.Name);
                }
                var here = scores.Where(s => s.Labels == labels && s.Group == group).ToList();
                verdicts.Add(new SignalVerdict(labels, group, set.Count, winners,
                    here.Where(s => s.IsLlc).MaxBy(s => s.Auroc.Value)?.Signal, here.Where(s => !s.IsLlc).MaxBy(s => s.Auroc.Value)?.Signal));
            }
        return (scores, comparisons, verdicts);
    }

    /// <summary>
    /// Tidy rows (experiment <paramref name="experiment"/>; Procedure = labelling, DataSubset = group, Model = signal):
    /// <c>auroc</c> (std = bootstrap sd), <c>auroc_ci_low</c>, <c>auroc_ci_high</c>, <c>auroc_orientation</c>, <c>auroc_is_llc</c>,
    /// <c>auroc_n_unlearned</c>, <c>auroc_n_not_unlearned</c>; per LLC signal and baseline (Layer = the baseline):
    /// <c>auroc_minus_baseline</c>, <c>…_ci_low</c>, <c>…_ci_high</c>; per LLC signal <c>llc_beats_every_baseline</c> (0/1).
    /// </summary>
    public static IEnumerable<ResultRow> ToRows(IReadOnlyList<SignalScore> scores, IReadOnlyList<SignalComparison> comparisons,
        IReadOnlyList<SignalVerdict> verdicts, string experiment)
    {
        ResultRow R(string labels, string group, string signal, string metric, double value, string? layer = null, double? std = null) => new()
        {
            Experiment = experiment, Model = signal, Procedure = labels, DataSubset = group, Metric = metric, Value = value, Layer = layer, Std = std,
        };
        foreach (var s in scores)
        {
            yield return R(s.Labels, s.Group, s.Signal, "auroc", s.Auroc.Value, std: s.Auroc.BootstrapStd);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_ci_low", s.Auroc.Low);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_ci_high", s.Auroc.High);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_orientation", s.Orientation);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_is_llc", s.IsLlc ? 1 : 0);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_n_unlearned", s.Auroc.Positives);
            yield return R(s.Labels, s.Group, s.Signal, "auroc_n_not_unlearned", s.Auroc.Negatives);
        }
        foreach (var c in comparisons)
        {
            yield return R(c.Labels, c.Group, c.Signal, "auroc_minus_baseline", c.Difference.Value, c.Baseline, c.Difference.BootstrapStd);
            yield return R(c.Labels, c.Group, c.Signal, "auroc_minus_baseline_ci_low", c.Difference.Low, c.Baseline);
            yield return R(c.Labels, c.Group, c.Signal, "auroc_minus_baseline_ci_high", c.Difference.High, c.Baseline);
        }
        foreach (var v in verdicts)
            foreach (var d in Definitions.Where(d => d.IsLlc))
                yield return R(v.Labels, v.Group, d.Name, "llc_beats_every_baseline", v.Winners.Contains(d.Name) ? 1 : 0);
    }
}
