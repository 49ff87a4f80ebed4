#:project ../../../../lib/LlcLab/LlcLab.csproj
#:property PublishAot=false
// RQ1's frozen-below variant left one question open: the read-out's ΔLLC rose for the two edits that erase footwear and not for the nulls
// that keep it — but is that the concept, or any direction of equal use to the read-out? This sweep erases four concepts of different use
// (footwear, upper-body, the planted corner patch, and "random": a median split along a seeded random direction of h1) with LEACE at h1,
// the layers below frozen, the read-out re-minimised to the gradient criterion, 10 seeds. Here, per concept: ΔLLC of the read-out
// (weight-restricted λ̂ after − before, seeds valid at both), the test accuracy the erasure costs (before − after, points), and whether the
// concept is erased out of sample; then over concept × seed, Spearman(cost, ΔLLC) with a pair-bootstrap interval, and the OLS fit
// ΔLLC = β₀ + β·cost + Σ_c δ_c·[concept = c] (footwear the baseline): if the δ_c cover 0 once cost is in, concept identity adds nothing
// that the cost does not explain. Run from the repository root: dotnet run notebooks/reference-results/sweeps/rq2-frozen/usefulness.cs
using LlcLab.Analysis; using LlcLab.IO; using LlcLab.Protocols; using LlcLab.Sweeps;
string dir = args.Length > 0 ? args[0] : "notebooks/reference-results/sweeps/rq2-frozen";
var r = SweepTables.LoadExperiment(dir, "rq2", partial: true, note: Console.WriteLine);
string[] concepts = ["footwear", "upper", "spurious", "random"];
Dictionary<long, double> By(string metric, string proc) => r.Rows(metric, proc).Where(x => x.Seed is not null).ToDictionary(x => x.Seed!.Value, x => x.Value);
bool Valid(string proc, long s) => By(MatchedEdits.AboveMetric + "_strict_valid", proc).TryGetValue(s, out var v) && v > 0.5;
var before = By(MatchedEdits.AboveMetric, "none");
var accBefore = By("test_accuracy", "none");
var (ys, costs, names) = (new List<double>(), new List<double>(), new List<string>());
Console.WriteLine($"{"concept",-9} {"ΔLLC of the read-out (95 % CI)",-34} {"test-accuracy cost, points",-30} {"excluded",8}  erased out of sample");
foreach (var c in concepts)
{
    string proc = ConceptComparisonExperiment.Procedure("leace", "frozen", c);
    var after = By(MatchedEdits.AboveMetric, proc);
    var acc = By("test_accuracy", proc);
    var seeds = after.Keys.Where(s => before.ContainsKey(s) && Valid(proc, s) && Valid("none", s)).Order().ToList();
    var d = seeds.Select(s => after[s] - before[s]).ToList();
    var cost = seeds.Select(s => 100 * (accBefore[s] - acc[s])).ToList();
    ys.AddRange(d); costs.AddRange(cost); names.AddRange(seeds.Select(_ => c));
    var sd = Stats.Summarize(d); var sc = Stats.Summarize(cost);
    var erased = OutOfSampleErasure.Of(r, proc, 100, metric: "probe_accuracy");
    Console.WriteLine(FormattableString.Invariant(
        $"{c,-9} {$"{sd.Mean:+0.00;-0.00} [{sd.CiLow:+0.00;-0.00}, {sd.CiHigh:+0.00;-0.00}] (n = {sd.N})",-34} {$"{sc.Mean:F2} [{sc.CiLow:F2}, {sc.CiHigh:F2}]",-30} {after.Count - seeds.Count,8}  {erased?.Text ?? "not measured"}"));
}
var rho = Stats.Correlate(costs, ys, "spearman");
Console.WriteLine(FormattableString.Invariant($"Spearman(cost, ΔLLC) over {rho.N} concept × seed pairs: {rho.R:F2} [{rho.Low:F2}, {rho.High:F2}] (pair bootstrap)"));
var predictors = new List<(string, IReadOnlyList<double>)> { ("cost_points", costs) };
predictors.AddRange(concepts.Skip(1).Select(c => ("is_" + c, (IReadOnlyList<double>)names.Select(n => n == c ? 1.0 : 0.0).ToList())));
var fit = Regression.Ols(ys, predictors);
Console.WriteLine(fit.ToText());
var conceptTerms = concepts.Skip(1).Select(c => fit.Term("is_" + c)).ToList();
Console.WriteLine(conceptTerms.All(t => !t.ExcludesZero)
    ? $"Reading: once the accuracy cost is in the fit, no concept differs from footwear (every δ_c covers 0); the cost term is {(fit.Term("cost_points").ExcludesZero ? "beyond 0" : "within 0")}."
    : $"Reading: concept identity matters beyond the cost for {string.Join(", ", conceptTerms.Where(t => t.ExcludesZero).Select(t => t.Name[3..]))}.");
