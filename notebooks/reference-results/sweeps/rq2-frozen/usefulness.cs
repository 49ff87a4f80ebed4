#:project ../../../../lib/LlcLab/LlcLab.csproj
#:property PublishAot=false
// RQ1's frozen-below variant left one question open: the read-out's ΔLLC rose for the two edits that erase footwear and not for the nulls
// that keep it — but is that the concept, or any direction of equal use to the read-out? This sweep erases four concepts of different use
// (footwear, upper-body, the planted corner patch, and "random": a median split along a seeded random direction of h1) with LEACE at h1,
// the layers below frozen, the read-out re-minimised to the gradient criterion, 10 seeds. The reading is LlcLab.Analysis.CostOrConcept
// (the same code notebook 04 runs): per concept ΔLLC of the read-out (seeds valid at both), the test accuracy the erasure costs (points),
// whether the concept is erased out of sample; Spearman(cost, ΔLLC) with a seed-cluster bootstrap; and the OLS fit
// ΔLLC = β₀ + β·cost + Σ_c δ_c·[concept = c] (footwear the baseline).
// Run from the repository root: dotnet run notebooks/reference-results/sweeps/rq2-frozen/usefulness.cs
using LlcLab.Analysis; using LlcLab.Protocols; using LlcLab.Sweeps;
string dir = args.Length > 0 ? args[0] : "notebooks/reference-results/sweeps/rq2-frozen";
var r = SweepTables.LoadExperiment(dir, "rq2", partial: true, note: Console.WriteLine);
var co = CostOrConcept.From(r, ["footwear", "upper", "spurious", "random"], c => ConceptComparisonExperiment.Procedure("leace", "frozen", c), MatchedEdits.AboveMetric);
Console.Write(co.TableText());   // ΔLLC of the read-out (the weight-restricted λ̂ above the eraser)
var pairs = Stats.Correlate(co.Points.Select(p => p.CostPoints).ToList(), co.Points.Select(p => p.Delta).ToList(), "spearman");
Console.WriteLine(FormattableString.Invariant($"Spearman(cost, ΔLLC) over {co.Rho!.N} concept × seed pairs: {co.Rho.R:F2} [{co.Rho.Low:F2}, {co.Rho.High:F2}] (seed-cluster bootstrap; pair bootstrap [{pairs.Low:F2}, {pairs.High:F2}])"));
Console.WriteLine(co.Fit!.ToText());
Console.WriteLine($"Reading: {co.Text}");
// The same reading without the concepts that were not erased out of sample (as notebook 04 prints it).
var erasedOnly = co.Concepts.Where(c => c.Erased?.Holds == true).Select(c => c.Concept).ToList();
if (erasedOnly.Count >= 2 && erasedOnly.Count < co.Concepts.Count)
    Console.WriteLine($"Over the concepts erased out of sample only ({string.Join(", ", erasedOnly)}): "
        + CostOrConcept.From(r, erasedOnly, c => ConceptComparisonExperiment.Procedure("leace", "frozen", c), MatchedEdits.AboveMetric).Text);
