using LlcLab.Analysis;
using Xunit;

namespace LlcLab.Tests.Experiments;

public class StatsTests
{
    [Fact]
    public void Summarize_MatchesTheStudentTInterval()
    {
        var s = Stats.Summarize(new[] { 1.0, 2, 3, 4, 5 });
        Assert.Equal(3.0, s.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5), s.Std, 12);
        // t_{0.975, 4} = 2.776445105 (tables); half-width = t·s/√5.
        Assert.Equal(2.776445105 * Math.Sqrt(2.5) / Math.Sqrt(5), s.HalfWidth, 6);
        Assert.True(double.IsNaN(Stats.Summarize(new[] { 7.0 }).CiLow));
        Assert.Throws<ArgumentException>(() => Stats.Summarize(Array.Empty<double>()));
    }

    [Fact]
    public void Correlations_KnownValues()
    {
        var x = new[] { 1.0, 2, 3, 4, 5, 6 };
        Assert.Equal(1.0, Stats.Pearson(x, x.Select(v => 3 * v - 1).ToArray()), 12);
        Assert.Equal(-1.0, Stats.Pearson(x, x.Select(v => -v).ToArray()), 12);
        var cubic = x.Select(v => Math.Pow(v, 3)).ToArray();
        Assert.Equal(1.0, Stats.Spearman(x, cubic), 12);
        Assert.True(Stats.Pearson(x, cubic) < 1.0);
        // Hand-computed: x = 1..4, y = 2,1,4,3 → r = 0.6.
        Assert.Equal(0.6, Stats.Pearson(new[] { 1.0, 2, 3, 4 }, new[] { 2.0, 1, 4, 3 }), 12);
        Assert.Equal(new[] { 1.5, 1.5, 3 }, Stats.Ranks(new[] { 5.0, 5.0, 9.0 }));
    }

    [Fact]
    public void BootstrapInterval_IsDeterministicAndContainsTheEstimate()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 40).Select(i => rng.NextDouble()).ToArray();
        var y = x.Select(v => v + 0.3 * rng.NextDouble()).ToArray();
        var a = Stats.Correlate(x, y, resamples: 500, seed: 3);
        var b = Stats.Correlate(x, y, resamples: 500, seed: 3);
        Assert.Equal(a, b);
        Assert.InRange(a.R, a.Low, a.High);
        Assert.True(a.ExcludesZero);
        var noise = Enumerable.Range(0, 40).Select(i => rng.NextDouble()).ToArray();
        var c = Stats.Correlate(x, noise, "spearman", resamples: 500);
        Assert.True(c.Low < 0.5 && c.High > -0.5);
        var f = Stats.PearsonFisher(x, y);
        Assert.InRange(f.R, f.Low, f.High);
        Assert.Throws<ArgumentException>(() => Stats.Correlate(x, y, "kendall"));
    }

    [Fact]
    public void MutualInformation_IdenticalIndependentAndPartial()
    {
        var a = new long[] { 0, 1, 0, 1, 0, 1, 0, 1 };
        var indep = new long[] { 0, 0, 1, 1, 0, 0, 1, 1 };
        Assert.Equal(1.0, Stats.MutualInformationBits(a, a), 12);
        Assert.Equal(0.0, Stats.MutualInformationBits(a, indep), 12);
        // Label with 4 classes, concept = parity: I(parity; label) = H(parity) = 1 bit.
        var label = new long[] { 0, 1, 2, 3, 0, 1, 2, 3 };
        var parity = label.Select(l => l % 2).ToArray();
        Assert.Equal(1.0, Stats.MutualInformationBits(parity, label), 12);
        Assert.Equal(2.0, Stats.EntropyBits(label), 12);
    }
}
