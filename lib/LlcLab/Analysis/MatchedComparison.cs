using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Protocols;

namespace LlcLab.Analysis;

/// <summary>One edit of one concept against the base model and against LEACE, at one γ.</summary>
/// <param name="Concept">The erased concept.</param>
/// <param name="Variant">"finetuned" (all layers re-minimised; metric llc) or "frozen" (layers below the edit frozen; metric llc_above).</param>
/// <param name="Edit">leace or a null edit name (<see cref="NullEdits.Names"/>).</param>
/// <param name="Metric">The λ̂ metric compared (llc, llc_above, or their <c>_alt_gamma</c> twins at γ′).</param>
/// <param name="Localization">γ of that metric's rows.</param>
/// <param name="Delta">ΔLLC = λ̂(edit) − λ̂(before), paired over the seeds valid at both stages.</param>
/// <param name="DeltaExcluded">Seeds excluded from <paramref name="Delta"/> by validity.</param>
/// <param name="Excess">For a null edit: ΔLLC(LEACE) − ΔLLC(null) = λ̂(LEACE) − λ̂(null) per seed (null for LEACE itself).</param>
/// <param name="ExcessExcluded">Seeds excluded from <paramref name="Excess"/> by validity.</param>
public sealed record EditComparison(string Concept, string Variant, string Edit, string Metric, double Localization,
    PairedDifference? Delta, int DeltaExcluded, PairedDifference? Excess, int ExcessExcluded);

/// <summary>The γ-sensitivity of one comparison: the same quantity at γ and at γ′.</summary>
/// <param name="Concept">Concept.</param>
/// <param name="Variant">finetuned or frozen.</param>
/// <param name="Edit">The edit (for <paramref name="Quantity"/> "delta") or the null compared with LEACE ("excess").</param>
/// <param name="Quantity">"delta" (ΔLLC of the edit) or "excess" (ΔLLC(LEACE) − ΔLLC(null)).</param>
/// <param name="Gamma">Headline γ.</param>
/// <param name="AltGamma">γ′.</param>
/// <param name="AtGamma">Mean at γ.</param>
/// <param name="AtAltGamma">Mean at γ′.</param>
/// <param name="RelativeMove">|mean(γ′) − mean(γ)| ÷ |mean(γ)|; the goal is &lt; 0.2.</param>
public sealed record GammaSensitivity(string Concept, string Variant, string Edit, string Quantity, double Gamma, double AltGamma,
    double AtGamma, double AtAltGamma, double RelativeMove)
{
    /// <summary>The goal of issue 17: the comparison moves less than 20 % over the 10× range of γ.</summary>
    public const double Goal = 0.2;
    /// <summary>Whether <see cref="RelativeMove"/> is below <see cref="Goal"/>.</summary>
    public bool MeetsGoal => RelativeMove < Goal;
}

/// <summary>
/// Reads the matched-edit rows of the RQ1/RQ2 protocols (<see cref="MatchedEdits"/>) into the comparisons the notebooks report:
/// each edit's ΔLLC with a paired t-interval over seeds, LEACE's excess over each matched null (<see cref="Paired.Excess"/>; only
/// seeds whose estimates pass validity count, the rest are reported as excluded), the γ-sensitivity of both, and the confound
/// observations of <see cref="ConfoundRegression"/>.
/// </summary>
public static class MatchedComparison
{
    /// <summary>Every comparison of <paramref name="concept"/> whose rows exist. <paramref name="procedure"/> maps (edit, variant) to the
    /// protocol's procedure name; the base model is ("none", 0); edits sit at <paramref name="step"/>.</summary>
    public static IReadOnlyList<EditComparison> Compare(ExperimentResult result, string concept, Func<string, string, string> procedure,
        long step = 100, bool strict = true, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(procedure);
        var list = new List<EditComparison>();
        foreach (var variant in new[] { "finetuned", "frozen" })
            foreach (var metric in MetricsOf(variant))
            {
                string leace = procedure("leace", variant);
                if (!result.Rows(metric, leace, step, model).Any()) continue;
                double gamma = result.Rows(metric, leace, step, model).First().Localization ?? double.NaN;
                foreach (var edit in MatchedEdits.EditNames)
                {
                    string proc = procedure(edit, variant);
                    if (!result.Rows(metric, proc, step, model).Any()) continue;
                    var (delta, dx) = Paired.Excess(result, metric, (proc, step), ("none", 0), model, strict: strict);
                    PairedDifference? excess = null; int ex = 0;
                    if (edit != "leace") (excess, ex) = Paired.Excess(result, metric, (leace, step), (proc, step), model, strict: strict);
                    list.Add(new EditComparison(concept, variant, edit, metric, gamma, delta, dx, excess, ex));
                }
            }
        return list;
    }

    static string[] MetricsOf(string variant)
    {
        string m = variant == "frozen" ? MatchedEdits.AboveMetric : "llc";
        return [m, m + MatchedEdits.AltSuffix];
    }

    /// <summary>The γ-sensitivity of every comparison present at both γ and γ′.</summary>
    public static IReadOnlyList<GammaSensitivity> Sensitivity(IReadOnlyList<EditComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var list = new List<GammaSensitivity>();
        foreach (var head in comparisons.Where(c => !c.Metric.EndsWith(MatchedEdits.AltSuffix, StringComparison.Ordinal)))
        {
            var alt = comparisons.FirstOrDefault(c => c.Concept == head.Concept && c.Variant == head.Variant && c.Edit == head.Edit && c.Metric == head.Metric + MatchedEdits.AltSuffix);
            if (alt is null) continue;
            void Add(string q, PairedDifference? a, PairedDifference? b)
            {
                if (a is null || b is null) return;
                list.Add(new GammaSensitivity(head.Concept, head.Variant, head.Edit, q, head.Localization, alt.Localization, a.Mean, b.Mean,
                    Math.Abs(b.Mean - a.Mean) / Math.Abs(a.Mean)));
            }
            Add("delta", head.Delta, alt.Delta);
            Add("excess", head.Excess, alt.Excess);
        }
        return list;
    }

    /// <summary>The comparisons as tidy rows (experiment <paramref name="experiment"/>): per (concept edit vs null or before, variant,
    /// metric) the metrics delta_mean/_ci_low/_ci_high/_n/_excluded and excess_mean/…; procedure = edit, data_subset = concept/variant.</summary>
    public static ResultsTable ToTable(IEnumerable<EditComparison> comparisons, string experiment)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var t = new ResultsTable();
        foreach (var c in comparisons)
        {
            void Add(string prefix, PairedDifference? d, int excluded)
            {
                var basis = new ResultRow { Experiment = experiment, Model = c.Metric, Procedure = c.Edit, DataSubset = $"{c.Concept}/{c.Variant}", Localization = c.Localization, Metric = "", Value = double.NaN };
                if (d is not null)
                {
                    t.Add(basis with { Metric = prefix + "_mean", Value = d.Mean, Std = d.Std });
                    t.Add(basis with { Metric = prefix + "_ci_low", Value = d.TLow });
                    t.Add(basis with { Metric = prefix + "_ci_high", Value = d.THigh });
                    t.Add(basis with { Metric = prefix + "_n", Value = d.N });
                }
                t.Add(basis with { Metric = prefix + "_excluded", Value = excluded });
            }
            Add("delta", c.Delta, c.DeltaExcluded);
            if (c.Edit != "leace") Add("excess", c.Excess, c.ExcessExcluded);
        }
        return t;
    }

    /// <summary>The γ-sensitivity as tidy rows: metric gamma_move (value = relative move), with at_gamma / at_alt_gamma companions.</summary>
    public static ResultsTable ToTable(IEnumerable<GammaSensitivity> rows, string experiment)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var t = new ResultsTable();
        foreach (var s in rows)
        {
            var basis = new ResultRow { Experiment = experiment, Model = s.Quantity, Procedure = s.Edit, DataSubset = $"{s.Concept}/{s.Variant}", Localization = s.Gamma, Metric = "", Value = double.NaN };
            t.Add(basis with { Metric = "at_gamma", Value = s.AtGamma });
            t.Add(basis with { Metric = "at_alt_gamma", Value = s.AtAltGamma, Localization = s.AltGamma });
            t.Add(basis with { Metric = "gamma_move", Value = s.RelativeMove });
        }
        return t;
    }

    /// <summary>One confound observation per (edit, seed) of <paramref name="concept"/> (variant finetuned, metric llc) whose λ̂ passes
    /// validity before and after: ΔLLC with edit_rank, map_norm, loss_increase and finetune_distance (<see cref="ConfoundRegression"/>).</summary>
    public static IReadOnlyList<ConfoundObservation> Confounds(ExperimentResult result, string concept, Func<string, string, string> procedure,
        long step = 100, bool strict = true, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(procedure);
        string valid = strict ? "llc_strict_valid" : "llc_valid";
        Dictionary<long, double> BySeed(string metric, string proc, long? st) => result.Rows(metric, proc, st, model)
            .Where(r => r.Seed is not null).GroupBy(r => r.Seed!.Value).ToDictionary(g => g.Key, g => g.Last().Value);
        var before = BySeed("llc", "none", 0);
        var beforeOk = BySeed(valid, "none", 0);
        var list = new List<ConfoundObservation>();
        foreach (var edit in MatchedEdits.EditNames)
        {
            string proc = procedure(edit, "finetuned");
            var llc = BySeed("llc", proc, step);
            var ok = BySeed(valid, proc, step);
            var cols = ConfoundRegression.Predictors.Select(p => BySeed(p, proc, step)).ToArray();
            foreach (var (seed, v) in llc)
            {
                if (!before.TryGetValue(seed, out var b) || ok.GetValueOrDefault(seed, 1) < 0.5 || beforeOk.GetValueOrDefault(seed, 1) < 0.5) continue;
                if (cols.Any(c => !c.ContainsKey(seed))) continue;
                list.Add(new ConfoundObservation(v - b, cols[0][seed], cols[1][seed], cols[2][seed], cols[3][seed], $"{concept}/{edit}/seed {seed}"));
            }
        }
        return list;
    }
}
