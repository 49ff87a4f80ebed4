using LlcLab.Analysis;
using Xunit;

namespace LlcLab.Tests.Experiments;

/// <summary>The frozen-below reading of notebook 03: does ΔLLC separate the edits that erased the concept from those that kept it?</summary>
public class ErasureSeparationTests
{
    static PairedDifference D(double lo, double hi, int n = 5) => new((lo + hi) / 2, 1, n, lo, hi, lo, hi, 0.95, Enumerable.Range(0, n).Select(i => (long)i).ToArray());

    [Fact]
    public void Disjoint_intervals_separate_and_an_overlap_or_an_empty_group_does_not()
    {
        (string, bool?, PairedDifference?)[] separated =
            [("leace", true, D(3, 4)), ("null-orth", true, D(2.8, 4.2)), ("null-oblique", false, D(0, 0.5)), ("null-invertible", false, D(-0.2, 0.6))];
        var s = ErasureSeparation.From(separated);
        Assert.True(s.Separates);
        Assert.Equal(1, s.Direction);
        Assert.Equal(["leace", "null-orth"], s.Erasing);
        Assert.Contains("follows erasure", s.Text);
        Assert.Contains("not tested", s.Text);   // the limit is named: no null removes an equally useful direction

        var below = ErasureSeparation.From(separated.Select(e => (e.Item1, e.Item2, e.Item2 == true ? D(-4, -3) : e.Item3)));
        Assert.Equal(-1, below.Direction);

        // One keeping edit reaches into the erasing group's interval: no separation.
        var overlap = ErasureSeparation.From(separated.Append(("null-whitened", false, D(0.5, 3.1))));
        Assert.False(overlap.Separates);
        Assert.Contains("does not follow erasure", overlap.Text);

        // Untested edits (no erasure measurement, or one seed) are set aside; with no keeping edit left there is nothing to read.
        var lonely = ErasureSeparation.From([("leace", true, D(3, 4)), ("null-oblique", null, D(0, 0.5)), ("null-invertible", false, D(0, 0.5, n: 1))]);
        Assert.False(lonely.Separates);
        Assert.Equal(["null-oblique", "null-invertible"], lonely.Untested);
        Assert.Contains("not readable", lonely.Text);
    }
}
