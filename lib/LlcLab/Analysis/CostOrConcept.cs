using LlcLab.IO;

namespace LlcLab.Analysis;

/// <summary>One concept's row in <see cref="CostOrConcept"/>.</summary>
/// <param name="Concept">Concept name.</param>
/// <param name="Delta">ΔLLC (after − before) over the seeds valid at both, with its 95 % t-interval; null with no valid seed.</param>
/// <param name="Cost">Test accuracy the erasure costs, in points (before − after), over the same seeds; null with no valid seed.</param>
/// <param name="Excluded">Seeds measured but left out because an estimate failed validity.</param>
/// <param name="Erased">The concept's own out-of-sample erasure check (null when not measured).</param>
public sealed record ConceptCost(string Concept, Summary? Delta, Summary? Cost, int Excluded, OutOfSampleErasure? Erased);

/// <summary>One (concept, seed) point of <see cref="CostOrConcept"/>.</summary>
public sealed record CostPoint(string Concept, long Seed, double CostPoints, double Delta);

/// <summary>
/// Is a ΔLLC about <em>which</em> concept was erased, or about <em>how much</em> the erasure cost? When several concepts are erased at one
/// layer by the same procedure, each (concept, seed) gives a ΔLLC and a cost c = 100·(test accuracy before − after). Two readings:
/// <list type="number">
/// <item>Spearman ρ(c, ΔLLC) over the points, with a <em>seed-cluster</em> bootstrap interval: seeds are resampled with replacement and
///   every concept of a drawn seed comes along, because the concepts of one seed share a trained network and are not independent.</item>
/// <item>The fit ΔLLC = β₀ + β·c + Σ_{k≥1} δ_k·[concept = k] (the first concept the baseline), by OLS with t-intervals. If every δ_k
///   covers 0 once c is in, concept identity adds nothing that the cost does not explain.</item>
/// </list>
/// With the δ_k in the fit, β is identified <em>within</em> concepts, from how cost and ΔLLC co-vary over seeds of one concept; the
/// δ_k absorb each concept's mean. So β &gt; 0 is not just two groups of concepts differing in both.
/// <see cref="CostExplains"/> needs β beyond 0 and no δ_k beyond 0; <see cref="ConceptMatters"/> lists the concepts whose δ_k excludes 0.
/// This is the control that matched null edits cannot give: they keep the concept's information, so none of them removes an equally
/// useful direction that is not the concept. Here the "other directions" are other concepts (and planted or random splits) of known cost.
/// </summary>
/// <param name="Concepts">Per-concept ΔLLC, cost and erasure check, in the order given.</param>
/// <param name="Points">Every (concept, seed) with valid estimates before and after.</param>
/// <param name="Rho">Spearman ρ(cost, ΔLLC) with the seed-cluster bootstrap interval (null with fewer than 3 points).</param>
/// <param name="Fit">The OLS fit (null when it has no residual degrees of freedom).</param>
public sealed record CostOrConcept(IReadOnlyList<ConceptCost> Concepts, IReadOnlyList<CostPoint> Points, Correlation? Rho, RegressionFit? Fit)
{
    /// <summary>Name of the cost term in <see cref="Fit"/>.</summary>
    public const string CostTerm = "cost_points";

    /// <summary>Name of concept <paramref name="concept"/>'s indicator term in <see cref="Fit"/>.</summary>
    public static string ConceptTerm(string concept) => "is_" + concept;

    /// <summary>Concepts (other than the baseline) whose δ excludes 0: identity matters beyond the cost.</summary>
    public IReadOnlyList<string> ConceptMatters => Fit is null ? [] : Concepts.Skip(1)
        .Where(c => Fit.Terms.Any(t => t.Name == ConceptTerm(c.Concept) && t.ExcludesZero)).Select(c => c.Concept).ToList();

    /// <summary>The cost term is beyond 0 and no concept term is.</summary>
    public bool CostExplains => Fit is not null && Fit.Terms.Any(t => t.Name == CostTerm && t.ExcludesZero) && ConceptMatters.Count == 0;

    /// <summary>One sentence, computed from the fit.</summary>
    public string Text
    {
        get
        {
            if (Fit is null) return $"not readable — {Points.Count} valid (concept, seed) points are too few for the fit.";
            var cost = Fit.Terms.FirstOrDefault(t => t.Name == CostTerm);
            string beta = cost is null ? "the cost does not vary" : FormattableString.Invariant($"β = {cost.Estimate:+0.00;-0.00} [{cost.CiLow:+0.00;-0.00}, {cost.CiHigh:+0.00;-0.00}] per point");
            string rho = Rho is null || !double.IsFinite(Rho.Low) ? "" : FormattableString.Invariant($"; Spearman ρ = {Rho.R:F2} [{Rho.Low:F2}, {Rho.High:F2}] (seed-cluster bootstrap)");
            return CostExplains
                ? $"ΔLLC follows what the erasure costs, not which concept is erased — {beta} within concepts; once the cost is in the fit, no concept differs from {Concepts[0].Concept} (every δ covers 0){rho}."
                : ConceptMatters.Count > 0
                ? $"concept identity matters beyond the cost for {string.Join(", ", ConceptMatters)} ({beta}){rho}."
                : $"neither the cost nor the concept explains ΔLLC at this sample size ({beta}; every δ covers 0){rho}.";
        }
    }

    /// <summary>The per-concept table as fixed-width text: ΔLLC and cost with their 95 % t-intervals, excluded seeds, the erasure check.</summary>
    public string TableText()
    {
        static string S(Summary? x, string f) => x is null ? "no valid seed"
            : x.N < 2 ? FormattableString.Invariant($"{x.Mean.ToString(f)} (1 seed)")
            : FormattableString.Invariant($"{x.Mean.ToString(f)} [{x.CiLow.ToString(f)}, {x.CiHigh.ToString(f)}] (n = {x.N})");
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"concept",-9} {"ΔLLC (95 % CI)",-34} {"test-accuracy cost, points",-30} {"excluded",8}  erased out of sample");
        foreach (var c in Concepts)
            sb.AppendLine($"{c.Concept,-9} {S(c.Delta, "+0.00;-0.00"),-34} {S(c.Cost, "F2"),-30} {c.Excluded,8}  {c.Erased?.Text ?? "not measured"}");
        return sb.ToString();
    }

    /// <summary>The points as a tidy long table: per (concept, seed) rows <c>delta_{metric}</c> and <c>cost_points</c>, procedure = the concept.</summary>
    public ResultsTable ToTable(string experiment, string metric = "llc")
    {
        var t = new ResultsTable();
        foreach (var p in Points)
        {
            t.Add(LlcRows.Metric(experiment, "", "delta_" + metric, p.Delta, p.Concept, p.Seed));
            t.Add(LlcRows.Metric(experiment, "", "cost_points", p.CostPoints, p.Concept, p.Seed));
        }
        return t;
    }

    /// <summary>
    /// Reads ΔLLC = <paramref name="metric"/>(procedure of concept) − <paramref name="metric"/>(<paramref name="baseline"/>) per seed, the
    /// cost from <c>test_accuracy</c> of the same rows, and keeps a seed only when both estimates pass strict validity
    /// (<c>{metric}_strict_valid</c>). <paramref name="procedureOf"/> names the procedure of a concept (e.g.
    /// <c>c =&gt; ConceptComparisonExperiment.Procedure("leace", "frozen", c)</c>); <paramref name="erasureMetric"/> is the probe the
    /// erasure check reads at <paramref name="step"/>.
    /// </summary>
    public static CostOrConcept From(ExperimentResult result, IReadOnlyList<string> concepts, Func<string, string> procedureOf, string metric,
        string baseline = "none", string erasureMetric = "probe_accuracy", long? step = 100, int resamples = 2000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(concepts);
        ArgumentNullException.ThrowIfNull(procedureOf);
        if (concepts.Count < 2) throw new ArgumentException("Cost against concept needs at least two concepts.", nameof(concepts));
        Dictionary<long, double> By(string m, string proc) => result.Rows(m, proc).Where(x => x.Seed is not null)
            .GroupBy(x => x.Seed!.Value).ToDictionary(g => g.Key, g => g.First().Value);
        bool Valid(string proc, long s) => By(metric + "_strict_valid", proc).TryGetValue(s, out var v) && v > 0.5;
        var before = By(metric, baseline);
        var accBefore = By("test_accuracy", baseline);
        var rows = new List<ConceptCost>();
        var points = new List<CostPoint>();
        foreach (var c in concepts)
        {
            string proc = procedureOf(c);
            var after = By(metric, proc);
            var acc = By("test_accuracy", proc);
            var seeds = after.Keys.Where(s => before.ContainsKey(s) && accBefore.ContainsKey(s) && acc.ContainsKey(s) && Valid(proc, s) && Valid(baseline, s)).Order().ToList();
            var pts = seeds.Select(s => new CostPoint(c, s, 100 * (accBefore[s] - acc[s]), after[s] - before[s])).ToList();
            points.AddRange(pts);
            rows.Add(new ConceptCost(c, pts.Count > 0 ? Stats.Summarize(pts.Select(p => p.Delta)) : null,
                pts.Count > 0 ? Stats.Summarize(pts.Select(p => p.CostPoints)) : null, after.Count - pts.Count,
                OutOfSampleErasure.Of(result, proc, step, metric: erasureMetric)));
        }
        return FromPoints(rows, points, resamples, seed);
    }

    /// <summary>The readings over given points (<paramref name="rows"/> fixes the concept order; the first is the fit's baseline).</summary>
    public static CostOrConcept FromPoints(IReadOnlyList<ConceptCost> rows, IReadOnlyList<CostPoint> points, int resamples = 2000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(points);
        var rho = points.Count >= 3 ? ClusterSpearman(points, resamples, seed) : null;
        var present = rows.Skip(1).Where(r => points.Any(p => p.Concept == r.Concept)).Select(r => r.Concept).ToList();
        RegressionFit? fit = null;
        if (points.Count > present.Count + 2 && points.Any(p => p.Concept == rows[0].Concept))
        {
            var predictors = new List<(string, IReadOnlyList<double>)> { (CostTerm, points.Select(p => p.CostPoints).ToList()) };
            predictors.AddRange(present.Select(c => (ConceptTerm(c), (IReadOnlyList<double>)points.Select(p => p.Concept == c ? 1.0 : 0.0).ToList())));
            fit = Regression.Ols(points.Select(p => p.Delta).ToList(), predictors);
        }
        return new CostOrConcept(rows, points, rho, fit);
    }

    /// <summary>Spearman ρ over all points; percentile interval from resampling seeds (clusters) with replacement.</summary>
    static Correlation ClusterSpearman(IReadOnlyList<CostPoint> points, int resamples, int seed, double level = 0.95)
    {
        double r = Stats.Spearman(points.Select(p => p.CostPoints).ToList(), points.Select(p => p.Delta).ToList());
        var clusters = points.GroupBy(p => p.Seed).Select(g => g.ToArray()).ToArray();
        var rng = new Random(seed);
        var boot = new List<double>(resamples);
        for (int b = 0; b < resamples && clusters.Length >= 2; b++)
        {
            var draw = Enumerable.Range(0, clusters.Length).SelectMany(_ => clusters[rng.Next(clusters.Length)]).ToList();
            if (draw.Count < 3) continue;
            double rb = Stats.Spearman(draw.Select(p => p.CostPoints).ToList(), draw.Select(p => p.Delta).ToList());
            if (double.IsFinite(rb)) boot.Add(rb);
        }
        if (boot.Count < resamples / 2 || !double.IsFinite(r)) return new Correlation("spearman", r, double.NaN, double.NaN, points.Count, level, "seed-cluster bootstrap");
        boot.Sort();
        return new Correlation("spearman", r, Stats.Quantile(boot, (1 - level) / 2), Stats.Quantile(boot, (1 + level) / 2), points.Count, level, "seed-cluster bootstrap");
    }
}
