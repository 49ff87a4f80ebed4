using LlcLab.Analysis;
using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.Experiments;

/// <summary>The one verdict rule of notebooks 03, 04 and 07: LEACE's excess over every matched null, gated by out-of-sample erasure.</summary>
public class MatchedVerdictTests
{
    static PairedDifference D(double lo, double hi, int n = 5) => new((lo + hi) / 2, 1, n, lo, hi, lo, hi, 0.95, Enumerable.Range(0, n).Select(i => (long)i).ToArray());

    static EditComparison Null(string edit, PairedDifference? excess) => new("c", "finetuned", edit, "llc", 300, D(1, 2), 0, excess, 0);

    static readonly EditComparison[] AllBeyond =
    [
        new("c", "finetuned", "leace", "llc", 300, D(2, 4), 0, null, 0),
        Null("null-orth", D(0.5, 1.5)), Null("null-oblique", D(1, 3)), Null("null-invertible", D(0.2, 1)),
    ];

    [Fact]
    public void A_concept_is_specific_only_beyond_every_null_and_erased_out_of_sample()
    {
        var v = MatchedVerdict.From(AllBeyond, "c");
        Assert.True(v.Specific);
        Assert.Equal(3, v.Beyond.Count);

        Assert.Contains("above every matched null", v.Text);

        // Beyond every null, but above some and below others: the nulls bracket LEACE — not specific.
        var straddled = MatchedVerdict.From(AllBeyond.Append(Null("null-whitened", D(-3, -1))), "c");
        Assert.True(straddled.Straddled);
        Assert.False(straddled.Specific);
        Assert.Equal(["null-whitened"], straddled.Below);
        Assert.Contains("straddled", straddled.Text);

        var mixed = MatchedVerdict.From(AllBeyond.Append(Null("null-whitened", D(-1, 1))), "c");
        Assert.False(mixed.Specific);
        Assert.Equal(["null-whitened"], mixed.Within);
        Assert.Contains("mixed", mixed.Text);

        var untested = MatchedVerdict.From(AllBeyond.Append(Null("null-whitened", D(1, 2, n: 1))), "c");
        Assert.False(untested.Specific);
        Assert.Equal(["null-whitened"], untested.Untested);

        var erased = MatchedVerdict.From(AllBeyond, "c", erasure: new OutOfSampleErasure(0.705, 0.70, 5, 5));
        Assert.True(erased.Specific);
        Assert.Contains("Erasure check: erased out of sample", erased.Text);

        // The same excesses, but the probe still reads the concept on unseen rows: not the effect of erasing it.
        var leaky = MatchedVerdict.From(AllBeyond, "c", erasure: new OutOfSampleErasure(0.257, 0.10, 0, 5));
        Assert.True(leaky.NotErased);
        Assert.False(leaky.Specific);
        Assert.StartsWith("c: NOT erased out of sample (probe 25.7 % vs chance 10.0 %, 0/5 seeds", leaky.Text);
        Assert.Contains("concept-specific", leaky.Text);   // what the nulls alone would have said is still printed
    }

    [Fact]
    public void Erasure_out_of_sample_needs_every_seed_within_its_margin_and_the_mean_within_two_points()
    {
        ExperimentResult Result(params (double Acc, double Chance, double Se)[] seeds)
        {
            var t = new ResultsTable();
            for (int s = 0; s < seeds.Length; s++)
            {
                t.Add(LlcRows.Metric("x", "m", "probe_accuracy_after", seeds[s].Acc, "leace:c", s, 100));
                t.Add(LlcRows.Metric("x", "m", "probe_accuracy_after_chance", seeds[s].Chance, "leace:c", s, 100));
                t.Add(LlcRows.Metric("x", "m", "probe_accuracy_after_se", seeds[s].Se, "leace:c", s, 100));
            }
            return new ExperimentResult("x", t);
        }
        var ok = OutOfSampleErasure.Of(Result((0.71, 0.70, 0.005), (0.69, 0.70, 0.005)), "leace:c", 100)!;
        Assert.True(ok.Holds);
        Assert.Equal((2, 2), (ok.SeedsWithin, ok.Seeds));
        Assert.Equal(0.70, ok.Probe, 12);

        // One seed 2.5 points off with SE 0.5 points: outside max(2 points, 2 SE).
        var oneOff = OutOfSampleErasure.Of(Result((0.725, 0.70, 0.005), (0.70, 0.70, 0.005)), "leace:c", 100)!;
        Assert.False(oneOff.Holds);
        Assert.Equal(1, oneOff.SeedsWithin);

        // A small test split (SE 1.5 points) widens the per-seed margin to 3 points, but the mean must still be within 2.
        var wide = OutOfSampleErasure.Of(Result((0.725, 0.70, 0.015), (0.725, 0.70, 0.015)), "leace:c", 100)!;
        Assert.Equal(2, wide.SeedsWithin);
        Assert.False(wide.Holds);

        // Several erased layers (a transformer scrubbed at every block): each seed × layer is a unit, one leaky layer fails the gate.
        var t2 = new ResultsTable();
        foreach (var (layer, acc) in new[] { ("block0", 0.50), ("block1", 0.62) })
        {
            t2.Add(LlcRows.Metric("x", "tf", "probe_accuracy_after", acc, "leace:c", 0, 100, layer));
            t2.Add(LlcRows.Metric("x", "tf", "probe_accuracy_after_chance", 0.50, "leace:c", 0, 100, layer));
            t2.Add(LlcRows.Metric("x", "tf", "probe_accuracy_after_se", 0.01, "leace:c", 0, 100, layer));
        }
        var layered = OutOfSampleErasure.Of(new ExperimentResult("x", t2), "leace:c", model: "tf")!;
        Assert.Equal((1, 2, 2), (layered.SeedsWithin, layered.Seeds, layered.Layers));
        Assert.False(layered.Holds);
        Assert.Contains("seed × layer (2 layers)", layered.Text);
        Assert.Null(OutOfSampleErasure.Of(new ExperimentResult("x", t2), "leace:c", model: "other"));

        Assert.Null(OutOfSampleErasure.Of(Result(), "leace:c", 100));
        Assert.Null(OutOfSampleErasure.Of(Result((0.7, 0.7, 0.005)), "other", 100));
    }
}
