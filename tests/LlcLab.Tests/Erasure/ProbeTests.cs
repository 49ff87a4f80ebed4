using LlcLab.Erasure;
using LlcLab.Runtime;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class ProbeTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Unregularised_logistic_probe_learns_nothing_after_leace(int k)
    {
        var (x, y) = Gaussian(1500, 8, k, seed: 21, sep: 0.4); // overlapping classes: the MLE is finite
        var before = LinearProbe.Fit(x, y, ProbeOptions.Unregularised);
        Assert.True(before.Converged, before.ToString());
        Assert.True(before.MaxAbsCoefficient > 0.05, $"the probe should use x before erasure: {before}");
        using var e = Leace.Fit(x, y);
        var after = LinearProbe.Fit(e.Apply(x), y, ProbeOptions.Unregularised);
        Assert.True(after.Converged, after.ToString());
        Assert.True(after.MaxAbsCoefficient < 1e-7, $"after LEACE: {after}");
    }

    [Fact]
    public void Linear_svm_learns_nothing_after_leace()
    {
        var (x, y) = Gaussian(1200, 8, 2, seed: 22, sep: 0.8);
        var before = LinearSvm.Fit(x, y, new SvmOptions(TestFraction: 0));
        Assert.True(before.Converged && before.MaxAbsCoefficient > 0.05, before.ToString());
        using var e = Leace.Fit(x, y);
        var after = LinearSvm.Fit(e.Apply(x), y, new SvmOptions(TestFraction: 0));
        Assert.True(after.Converged, after.ToString());
        Assert.True(after.MaxAbsCoefficient < 1e-7, $"after LEACE: {after}");
    }

    [Fact]
    public void Logistic_probe_recovers_the_true_coefficients()
    {
        using var g = Seeding.Generator(23);
        using var x = randn([20000, 3], dtype: ScalarType.Float64, generator: g);
        using var beta = tensor(new[] { 1.5, -2.0, 0.5 }, dtype: ScalarType.Float64);
        using var p = (x.matmul(beta) + 0.3).sigmoid();
        using var y = (rand([20000], dtype: ScalarType.Float64, generator: g) < p).to_type(ScalarType.Int64);
        var r = LinearProbe.Fit(x, y, ProbeOptions.Unregularised);
        Assert.True(r.Converged);
        Assert.True(MaxAbs(r.Coefficients[0] - beta) < 0.1, $"coefficients {string.Join(", ", r.Coefficients[0].data<double>().ToArray())}");
        Assert.True(Math.Abs(r.Intercept[0].item<double>() - 0.3) < 0.1);
    }

    [Fact]
    public void Multinomial_probe_reaches_high_accuracy_and_reports_chance()
    {
        var (x, y) = Gaussian(1600, 6, 4, seed: 24, sep: 4);
        var r = LinearProbe.Fit(x, y);
        Assert.Equal(4, r.Classes);
        Assert.Equal(new long[] { 4, 6 }, r.Coefficients.shape);
        Assert.Equal(400, r.TestRows);
        Assert.True(r.Accuracy > 0.8, r.ToString());
        Assert.InRange(r.ChanceLevel, 0.25, 0.35);
        var svm = LinearSvm.Fit(x, y);
        Assert.True(svm.Accuracy > 0.8, svm.ToString());
        Assert.Equal(new long[] { 4, 6 }, svm.Coefficients.shape);
    }

    [Fact]
    public void Probe_rejects_bad_input()
    {
        var (x, y) = Gaussian(100, 4, 2, seed: 25);
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => LinearProbe.Fit(x, y[..50])).Message);
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => LinearProbe.Fit(x, y.to_type(ScalarType.Float64))).Message);
    }
}
