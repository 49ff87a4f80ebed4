using LlcLab.Analysis;
using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.Experiments;

/// <summary>RQ2's frozen reading: does ΔLLC follow which concept was erased, or what the erasure cost?</summary>
public class CostOrConceptTests
{
    static readonly string[] Concepts = ["footwear", "upper", "spurious"];

    /// <summary>Ten seeds × three concepts: cost_c(seed) = base_c + noise, ΔLLC = 2·cost + bump·[concept = upper] + noise; seed 7 of
    /// "spurious" fails validity after the edit.</summary>
    static ExperimentResult Table(double bump)
    {
        var rng = new Random(3);
        double N() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var t = new ResultsTable();
        var baseCost = new Dictionary<string, double> { ["footwear"] = 1.4, ["upper"] = 0.8, ["spurious"] = 2.0 };
        for (long s = 0; s < 10; s++)
        {
            double llc0 = 20 + 3 * N(), acc0 = 0.85 + 0.01 * N();
            t.Add(LlcRows.Metric("rq2", "m", "llc_above", llc0, "none", s));
            t.Add(LlcRows.Metric("rq2", "m", "llc_above_strict_valid", 1, "none", s));
            t.Add(LlcRows.Metric("rq2", "m", "test_accuracy", acc0, "none", s));
            foreach (var c in Concepts)
            {
                double cost = baseCost[c] + 0.3 * N();
                double delta = 2 * cost + (c == "upper" ? bump : 0) + 0.2 * N();
                t.Add(LlcRows.Metric("rq2", "m", "llc_above", llc0 + delta, "leace:" + c, s));
                t.Add(LlcRows.Metric("rq2", "m", "llc_above_strict_valid", c == "spurious" && s == 7 ? 0 : 1, "leace:" + c, s));
                t.Add(LlcRows.Metric("rq2", "m", "test_accuracy", acc0 - cost / 100, "leace:" + c, s));
            }
        }
        return new ExperimentResult("rq2", t);
    }

    [Fact]
    public void A_delta_made_of_cost_is_read_as_cost_and_a_concept_bump_is_found()
    {
        var cost = CostOrConcept.From(Table(bump: 0), Concepts, c => "leace:" + c, "llc_above");
        Assert.True(cost.CostExplains, cost.Text);
        Assert.Empty(cost.ConceptMatters);
        Assert.InRange(2.0, cost.Fit!.Term(CostOrConcept.CostTerm).CiLow, cost.Fit.Term(CostOrConcept.CostTerm).CiHigh);
        Assert.Contains("follows what the erasure costs", cost.Text);
        Assert.True(cost.Rho!.R > 0.8 && cost.Rho.Low > 0.5, cost.Rho.ToString());
        // Per concept: the invalid seed is excluded and counted; the baseline ("none") cost is read from the same seeds.
        var spurious = cost.Concepts.Single(c => c.Concept == "spurious");
        Assert.Equal((9, 1), (spurious.Delta!.N, spurious.Excluded));
        Assert.Equal(29, cost.Points.Count);
        Assert.InRange(spurious.Cost!.Mean, 1.7, 2.3);
        Assert.Null(spurious.Erased);   // no probe rows here
        Assert.Contains("spurious  +", cost.TableText());
        Assert.Contains("(n = 9)", cost.TableText());
        var table = cost.ToTable("rq2", "llc_above");   // tidy: one delta and one cost row per point
        Assert.Equal(2 * 29, table.Count);
        Assert.Equal(29, table.Rows.Count(x => x.Metric == "delta_llc_above"));

        // The same cost, plus +1.5 for one concept: identity matters for that concept only.
        var bumped = CostOrConcept.From(Table(bump: 1.5), Concepts, c => "leace:" + c, "llc_above");
        Assert.False(bumped.CostExplains);
        Assert.Equal(["upper"], bumped.ConceptMatters);
        Assert.InRange(1.5, bumped.Fit!.Term(CostOrConcept.ConceptTerm("upper")).CiLow, bumped.Fit.Term(CostOrConcept.ConceptTerm("upper")).CiHigh);
        Assert.Contains("matters beyond the cost for upper", bumped.Text);

        // Deterministic from its seed.
        Assert.Equal(cost.Rho, CostOrConcept.From(Table(bump: 0), Concepts, c => "leace:" + c, "llc_above").Rho);
    }

    [Fact]
    public void The_seed_cluster_interval_is_wider_than_the_pair_interval_when_seeds_share_their_noise()
    {
        // Every concept of a seed shares one large offset in both cost and ΔLLC: 4 clusters of 4 nearly identical points look like 16
        // independent pairs to a pair bootstrap, but the evidence is 4 seeds.
        var rng = new Random(5);
        var points = new List<CostPoint>();
        for (long s = 0; s < 4; s++)
        {
            double shared = 3 * rng.NextDouble();
            foreach (var c in new[] { "a", "b", "c", "d" })
                points.Add(new CostPoint(c, s, shared + 0.05 * rng.NextDouble(), shared + 0.05 * rng.NextDouble()));
        }
        var rows = new[] { "a", "b", "c", "d" }.Select(c => new ConceptCost(c, null, null, 0, null)).ToList();
        var cluster = CostOrConcept.FromPoints(rows, points).Rho!;
        var pairs = Stats.Correlate(points.Select(p => p.CostPoints).ToList(), points.Select(p => p.Delta).ToList(), "spearman");
        Assert.Equal(pairs.R, cluster.R, 12);
        Assert.True(cluster.High - cluster.Low > pairs.High - pairs.Low, $"cluster [{cluster.Low}, {cluster.High}] vs pairs [{pairs.Low}, {pairs.High}]");
        Assert.Equal("seed-cluster bootstrap", cluster.CiMethod);
    }

    [Fact]
    public void Too_few_points_are_not_readable_and_one_concept_is_an_error()
    {
        var rows = new[] { "a", "b" }.Select(c => new ConceptCost(c, null, null, 0, null)).ToList();
        var few = CostOrConcept.FromPoints(rows, [new("a", 0, 1, 2), new("b", 0, 2, 4)]);
        Assert.Null(few.Fit);
        Assert.False(few.CostExplains);
        Assert.Contains("not readable", few.Text);
        Assert.Throws<ArgumentException>(() => CostOrConcept.From(Table(0), ["footwear"], c => "leace:" + c, "llc_above"));
    }
}
