using LlcLab.Analysis;
using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.Experiments;

public class RegressionTests
{
    static double[] Normal(Random rng, int n, double sd = 1) =>
        Enumerable.Range(0, n).Select(_ => sd * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())).ToArray();

    [Fact]
    public void Ols_recovers_known_coefficients_and_only_real_effects_survive()
    {
        var rng = new Random(1);
        int n = 300;
        var rank = Enumerable.Range(0, n).Select(i => (double)(1 + i % 9)).ToArray();
        var norm = Normal(rng, n, 3).Select(v => 5 + v).ToArray();
        var loss = Normal(rng, n);
        var dist = Normal(rng, n);
        var noise = Normal(rng, n, 0.5);
        // ΔLLC = 1 + 0.8·rank + 0·‖M‖ + 2·Δloss + 0·distance + noise
        var obs = Enumerable.Range(0, n).Select(i => new ConfoundObservation(1 + 0.8 * rank[i] + 2 * loss[i] + noise[i], rank[i], norm[i], loss[i], dist[i])).ToList();
        var fit = ConfoundRegression.Fit(obs);
        Assert.Equal(new[] { "edit_rank", "loss_increase" }, fit.Survivors);
        foreach (var (name, truth) in new[] { ("intercept", 1.0), ("edit_rank", 0.8), ("map_norm", 0.0), ("loss_increase", 2.0), ("finetune_distance", 0.0) })
        {
            var t = fit.Term(name);
            Assert.InRange(truth, t.CiLow, t.CiHigh);
            Assert.True(t.StdError < 0.2, $"{name}: se {t.StdError}");
        }
        Assert.Equal(n - 5, fit.Df);
        Assert.InRange(fit.ResidualStd, 0.45, 0.55);
        Assert.Contains("survives", fit.ToText());
        // z-scoring changes the units of β but not t or the survivors.
        var z = ConfoundRegression.Fit(obs, standardize: true);
        Assert.Equal(fit.Survivors, z.Survivors);
        Assert.Equal(fit.Term("loss_increase").T, z.Term("loss_increase").T, 8);
    }

    [Fact]
    public void Ols_standard_error_matches_the_simple_regression_formula_and_constant_predictors_are_dropped()
    {
        double[] x = [1, 2, 3, 4, 5, 6];
        double[] y = [1.1, 1.9, 3.2, 3.9, 5.1, 5.8];
        var fit = Regression.Ols(y, [("x", x), ("const", new double[] { 2, 2, 2, 2, 2, 2 })]);
        Assert.Equal(new[] { "const" }, fit.Dropped);
        double xm = x.Average(), ym = y.Average(), sxx = x.Sum(v => (v - xm) * (v - xm));
        double b = x.Zip(y).Sum(p => (p.First - xm) * (p.Second - ym)) / sxx;
        double rss = x.Zip(y).Sum(p => Math.Pow(p.Second - (ym + b * (p.First - xm)), 2));
        Assert.Equal(b, fit.Term("x").Estimate, 10);
        Assert.Equal(Math.Sqrt(rss / 4 / sxx), fit.Term("x").StdError, 10);
        Assert.Contains("dropped as constant: const", Assert.Throws<ArgumentException>(() => fit.Term("const")).Message);
        Assert.Contains("linear combination", Assert.Throws<ArgumentException>(() => Regression.Ols(y, [("x", x), ("2x", x.Select(v => 2 * v).ToArray())])).Message);
    }

    [Fact]
    public void Paired_difference_gives_t_and_bootstrap_intervals_over_common_seeds()
    {
        var rng = new Random(4);
        var seedEffect = Normal(rng, 12, 5); // large seed-to-seed spread that pairing cancels
        var concept = Enumerable.Range(0, 12).ToDictionary(i => (long)i, i => 10 + seedEffect[i] + 1.0 + 0.2 * Normal(rng, 1)[0]);
        var nul = Enumerable.Range(0, 12).Where(i => i != 3).ToDictionary(i => (long)i, i => 10 + seedEffect[i]);
        var d = Paired.Difference(concept, nul, resamples: 4000, seed: 1);
        Assert.Equal(11, d.N);
        Assert.DoesNotContain(3L, d.Keys);
        Assert.InRange(1.0, d.TLow, d.THigh);
        Assert.InRange(1.0, d.BootLow, d.BootHigh);
        Assert.True(d.ExcludesZero);
        var direct = Stats.Summarize(d.Keys.Select(k => concept[k] - nul[k]));
        Assert.Equal(direct.CiLow, d.TLow, 12);
        Assert.True(Math.Abs((d.BootHigh - d.BootLow) - (d.THigh - d.TLow)) < 0.5 * (d.THigh - d.TLow), $"bootstrap {d.BootLow}..{d.BootHigh} vs t {d.TLow}..{d.THigh}");
        Assert.Equal(d, Paired.Difference(concept, nul, resamples: 4000, seed: 1) with { Keys = d.Keys });
        // Unpaired, the seed spread would swamp the effect: the paired interval is much narrower than the spread of either arm.
        Assert.True(d.THigh - d.TLow < Stats.Summarize(nul.Values).Std);

        // From protocol rows, skipping seeds invalid at either stage.
        var t = new ResultsTable();
        foreach (var (k, v) in concept) { t.Add(LlcRows.Metric("e", "m", "llc", v, "leace:parity", k, 100)); t.Add(LlcRows.Metric("e", "m", "llc_strict_valid", k == 5 ? 0 : 1, "leace:parity", k, 100)); }
        foreach (var (k, v) in nul) t.Add(LlcRows.Metric("e", "m", "llc", v, "null-oblique:parity", k, 100));
        var (ex, excluded) = Paired.Excess(new ExperimentResult("e", t), "llc", ("leace:parity", 100), ("null-oblique:parity", 100), resamples: 1000);
        Assert.Equal(1, excluded);
        Assert.Equal(10, ex!.N);
    }
}

public class EditConfoundsTests
{
    [Fact]
    public void Confounds_measure_map_norm_insertion_loss_and_distance()
    {
        using var net = LlcLab.Models.Network.Create("mlp:6-8-8-3:relu", seed: 1, device: TorchSharp.torch.CPU);
        var (x, y) = LlcLab.Tests.Erasure.ErasureData.Gaussian(300, 6, 3, seed: 2, dtype: TorchSharp.torch.ScalarType.Float32);
        var data = new LlcLab.Data.Dataset(x, y);
        using var h = net.Activations("h1", x);
        using var e = LlcLab.Erasure.Leace.Fit(h, y);
        using var inserted = LlcLab.Erasure.NetworkErasure.InsertInto(e, net, "h1");
        Assert.Equal(0, EditConfounds.ParameterDistance(net, inserted));
        using var moved = inserted.Clone();
        using (TorchSharp.torch.no_grad()) moved.ParameterTensors()[0].add_(0.5);
        Assert.Equal(0.5 * Math.Sqrt(8 * 6), EditConfounds.ParameterDistance(inserted, moved), 5);
        Assert.True(EditConfounds.MapNorm(e) >= 1 - 1e-9, "a projection has ‖M‖₂ ≥ 1");
        Assert.Equal(1.0, EditConfounds.MapNorm(e, strength: 0), 9);
        Assert.True(EditConfounds.LossIncrease(net, inserted, data) != 0);
        var o = EditConfounds.Observe(1.5, e, net, inserted, moved, data, "leace");
        Assert.Equal((double)e.Rank, o.EditRank);
        Assert.Equal("leace", o.Label);
    }
}
