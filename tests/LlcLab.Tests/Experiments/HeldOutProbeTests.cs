using LlcLab.Erasure;
using LlcLab.Analysis;
using LlcLab.Protocols;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

public class HeldOutProbeTests(ITestOutputHelper output)
{
    [Fact]
    public void After_LEACE_the_out_of_sample_probe_is_at_chance_and_not_flagged()
    {
        var data = ErasureComparison.Synthetic(n: 6000, dim: 16, strength: 1.5, seed: 4);
        var o = ErasureComparison.Run(data.X, data.Z, new[] { "leace" }, seed: 2)[0];
        output.WriteLine($"before {o.ProbeAccuracyBefore:F3}, after {o.ProbeAccuracyAfter:F3} (chance {o.Chance:F3}), in sample {o.ProbeAccuracyAfterInSample:F3}");
        Assert.True(o.ProbeAccuracyBefore > 0.75, $"the concept is decodable before ({o.ProbeAccuracyBefore})");
        Assert.InRange(o.ProbeAccuracyAfter, o.Chance - 0.03, o.Chance + 0.03);
        Assert.NotNull(o.Probe);
        Assert.True(o.Probe!.ErasedOutOfSample);
        Assert.False(o.Probe.OutOfSampleLeak);
        Assert.Equal(2400 / 2, o.Probe.OutOfSampleRows); // 40 % held out, half of it scored
    }

    [Fact]
    public void A_probe_scored_on_the_erasers_own_fit_rows_is_flagged_and_the_split_one_is_not()
    {
        // Few rows per dimension make the in-sample anti-generalisation large (the digits probe read 0.28–0.47 at chance 0.525).
        var data = ErasureComparison.Synthetic(n: 600, dim: 40, strength: 1.0, seed: 1);
        using var leaky = Leace.Fit(data.X, data.Z); // fitted on every row, including the rows the probe will be scored on
        using var all = leaky.Apply(data.X);
        var s = HeldOutProbe.Measure(all, data.Z, all, data.Z, seed: 0);
        output.WriteLine($"leaky: in sample {s.InSample:F3} (chance {s.InSampleChance:F3}), 'held out' {s.OutOfSample:F3} (chance {s.OutOfSampleChance:F3})");
        Assert.True(s.InSampleLeak || s.OutOfSampleLeak, "scoring on the fit rows must be flagged");
        Assert.True(s.OutOfSampleLeak, "the half/half probe on the fit rows anti-generalises too");

        var (fit, held) = HeldOutProbe.SplitRows(data.Z, 0.5, seed: 0);
        Assert.Empty(fit.Intersect(held));
        Assert.Equal(600, fit.Length + held.Length);
        using var fi = tensor(fit); using var hi = tensor(held);
        using var honest = Leace.Fit(data.X.index_select(0, fi), data.Z.index_select(0, fi));
        var h = HeldOutProbe.Measure(honest.Apply(data.X.index_select(0, fi)), data.Z.index_select(0, fi), honest.Apply(data.X.index_select(0, hi)), data.Z.index_select(0, hi), seed: 0);
        output.WriteLine($"split: in sample {h.InSample:F3}, out of sample {h.OutOfSample:F3} (chance {h.OutOfSampleChance:F3})");
        Assert.False(h.OutOfSampleLeak);
    }

    [Fact]
    public void Leak_margin_is_two_points_or_two_binomial_errors()
    {
        Assert.Equal(0.02, HeldOutProbe.LeakMargin(0.5, 1_000_000), 12);
        Assert.Equal(2 * Math.Sqrt(0.25 / 100), HeldOutProbe.LeakMargin(0.5, 100), 12);
        Assert.True(HeldOutProbe.IsLeak(0.47, 0.5, 100_000));
        Assert.False(HeldOutProbe.IsLeak(0.47, 0.5, 100)); // 3 points below chance is noise on 100 rows (SE 5 points)
        // Stratified split: each class keeps its share.
        using var z = cat([zeros(300, dtype: ScalarType.Int64), ones(100, dtype: ScalarType.Int64)]);
        var (a, b) = HeldOutProbe.SplitRows(z, 0.25, seed: 3);
        Assert.Equal(100, b.Length);
        Assert.Equal(25, b.Count(i => i >= 300));
        Assert.Equal(b, HeldOutProbe.SplitRows(z, 0.25, seed: 3).Second);
    }
}
