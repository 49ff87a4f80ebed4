using LlcLab.Runtime;
using LlcLab.Erasure;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class LeaceTests
{
    static LeaceFitter Fitter(Tensor x, Tensor z, LeaceOptions? o = null) =>
        new LeaceFitter(x.shape[1], ConceptLabels.ColumnCount(z), o, x.device).Update(x, z);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Cross_covariance_with_the_concept_vanishes(int k)
    {
        var (x, y) = Gaussian(2000, 12, k, seed: 1);
        using var e = Leace.Fit(x, y);
        using var x2 = e.Apply(x);
        using var z = OneHot(y, k);
        double before = Norm(Cov(x, z)), after = Norm(Cov(x2, z));
        Assert.True(before > 0.1, $"test data should carry the concept (‖Cov‖ = {before})");
        Assert.True(after <= 1e-10 * before, $"‖Cov(x′, z)‖ = {after:E3} vs ‖Cov(x, z)‖ = {before:E3}");
    }

    [Fact]
    public void Continuous_concept_columns_are_erased()
    {
        var (x, _) = Gaussian(1500, 10, 2, seed: 2);
        using var w = randn([10, 3], dtype: ScalarType.Float64, generator: LlcLab.Runtime.Seeding.Generator(3));
        using var z = x.matmul(w) * 1e3 + 5; // scale must not matter (relative tolerance)
        using var e = Leace.Fit(x, z);
        Assert.Equal(3, e.Rank);
        using var x2 = e.Apply(x);
        Assert.True(Norm(Cov(x2, z)) <= 1e-10 * Norm(Cov(x, z)));
    }

    [Fact]
    public void Class_means_become_equal_and_the_global_mean_is_kept()
    {
        const int k = 4;
        var (x, y) = Gaussian(2000, 8, k, seed: 4, sep: 2);
        using var e = Leace.Fit(x, y);
        using var x2 = e.Apply(x);
        var mu = x.mean([0L]);
        Assert.True(MaxAbs(x2.mean([0L]) - mu) < 1e-10 * MaxAbs(mu) + 1e-12);
        for (int j = 0; j < k; j++)
        {
            var rows = (y == j).nonzero().squeeze(1);
            double before = MaxAbs(x.index_select(0, rows).mean([0L]) - mu);
            double after = MaxAbs(x2.index_select(0, rows).mean([0L]) - mu);
            Assert.True(before > 0.1, $"class {j} mean should differ before erasure");
            Assert.True(after < 1e-10 * before, $"class {j}: mean offset {after:E3} after erasure (before {before:E3})");
        }
    }

    [Fact]
    public void Eraser_is_idempotent_and_its_edit_has_rank_at_most_k_minus_one()
    {
        const int k = 5;
        var (x, y) = Gaussian(1500, 10, k, seed: 5);
        using var e = Leace.Fit(x, y);
        Assert.Equal(k - 1, e.Rank); // one-hot columns sum to 1: rank k − 1
        using var x2 = e.Apply(x);
        using var x3 = e.Apply(x2);
        Assert.True(MaxAbs(x3 - x2) < 1e-10 * MaxAbs(x));
        var (p, _) = e.AffineForm();
        using var q = eye(10, dtype: ScalarType.Float64) - p;
        Assert.True(linalg.matrix_rank(q).item<long>() <= k - 1);
        Assert.True(MaxAbs(p.matmul(p) - p) < 1e-10, "P must be a (generally oblique) projection");
    }

    [Fact]
    public void Leace_moves_the_data_least()
    {
        var (x, y) = Gaussian(3000, 10, 3, seed: 6);
        using var leace = Leace.Fit(x, y);
        using var orth = Leace.Fit(x, y, LeaceOptions.Orthogonal);
        using var md = MeanDifference.Fit(x, y);
        double Edit(IEraser e) { using var x2 = e.Apply(x); return (x2 - x).Squared().sum(1).mean().item<double>(); }
        double eL = Edit(leace), eO = Edit(orth), eM = Edit(md);
        Assert.True(eL < 0.9 * eO, $"LEACE edit {eL} should be clearly below the orthogonal projection's {eO} on anisotropic data");
        Assert.True(eL < 0.9 * eM, $"LEACE edit {eL} should be clearly below the mean-difference projection's {eM}");
        // All three erase: Cov(x′, z) ≈ 0.
        using var z = OneHot(y, 3);
        foreach (var e in new IEraser[] { leace, orth, md })
        {
            using var x2 = e.Apply(x);
            Assert.True(Norm(Cov(x2, z)) < 1e-10 * Norm(Cov(x, z)), $"{e.Method} must erase");
        }
    }

    [Fact]
    public void Streaming_updates_equal_the_one_batch_fit()
    {
        var (x, y) = Gaussian(1003, 9, 3, seed: 7);
        using var once = Leace.Fit(x, y);
        using var fitter = new LeaceFitter(9, 3, device: CPU);
        int[] cuts = [0, 1, 3, 100, 101, 500, 777, 1003];
        for (int i = 0; i + 1 < cuts.Length; i++)
            fitter.Update(x[cuts[i]..cuts[i + 1]], y[cuts[i]..cuts[i + 1]]);
        Assert.Equal(1003, fitter.N);
        var streamed = fitter.Eraser;
        var (p1, c1) = once.AffineForm();
        var (p2, c2) = streamed.AffineForm();
        Assert.True(MaxAbs(p1 - p2) < 1e-10, $"P differs by {MaxAbs(p1 - p2):E3}");
        Assert.True(MaxAbs(c1 - c2) < 1e-10 * (1 + MaxAbs(c1)));
        using var full = Fitter(x, y);
        Assert.True(MaxAbs(full.SigmaXX - fitter.SigmaXX) < 1e-12 * MaxAbs(full.SigmaXX));
    }

    [Fact]
    public void Eraser_never_aliases_the_fitter_state()
    {
        var (x, y) = Gaussian(600, 6, 2, seed: 8);
        using var fitter = Fitter(x[..300], y[..300]);
        using var owned = fitter.FitEraser();
        var before = owned.Matrix.clone();
        var meanBefore = owned.Mean.clone();
        fitter.Update(x[300..], y[300..]);
        Assert.Equal(0.0, MaxAbs(owned.Matrix - before));
        Assert.Equal(0.0, MaxAbs(owned.Mean - meanBefore));
        Assert.True(MaxAbs(fitter.Eraser.Mean - meanBefore) > 0, "the fitter's new eraser reflects the new data");
    }

    [Fact]
    public void Dtype_is_kept_and_strength_interpolates()
    {
        var (x, y) = Gaussian(500, 6, 2, seed: 9, dtype: ScalarType.Float32);
        using var e = Leace.Fit(x, y);
        using var x2 = e.Apply(x);
        Assert.Equal(ScalarType.Float32, x2.dtype);
        using var x64 = x.to_type(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, e.Apply(x64).dtype);
        Assert.True(MaxAbs(e.Apply(x64, 0.0) - x64) == 0);
        using var half = e.Apply(x64, 0.5);
        Assert.True(MaxAbs(half - (x64 + e.Apply(x64)) / 2) < 1e-12);
        var (p, c) = e.AffineForm(0.5);
        Assert.True(MaxAbs(x64.matmul(p.t()) + c - half) < 1e-10);
        using var e2 = e.WithStrength(0.5);
        Assert.True(MaxAbs(e2.Apply(x64) - half) < 1e-12);
        Assert.True(MaxAbs(e.Apply(x64[0]) - e.Apply(x64)[0]) < 1e-12, "a single row [d] is accepted");
    }

    [Theory]
    [InlineData(Shrinkage.Oas)]
    [InlineData(Shrinkage.OptimalLinear)]
    public void Shrinkage_keeps_the_erasure_guarantee(Shrinkage kind)
    {
        var (x, y) = Gaussian(60, 40, 2, seed: 10); // n ≈ d: shrinkage matters
        using var e = Leace.Fit(x, y, new LeaceOptions(Shrinkage: kind));
        using var plain = Leace.Fit(x, y);
        using var x2 = e.Apply(x);
        Assert.True(Norm(Cov(x2, y)) < 1e-9 * Norm(Cov(x, y)));
        Assert.True(MaxAbs(e.Matrix - plain.Matrix) > 1e-6, "shrinkage must change the eraser when n ≈ d");
    }

    [Fact]
    public void Shrinkage_vanishes_with_many_samples()
    {
        var (x, y) = Gaussian(20000, 4, 2, seed: 11);
        using var fo = Fitter(x, y, new LeaceOptions(Shrinkage: Shrinkage.Oas));
        using var fn = Fitter(x, y);
        var a = fo.SigmaXX; var b = fn.SigmaXX;
        Assert.True(MaxAbs(a - b) < 1e-2 * MaxAbs(b));
    }

    [Fact]
    public void Mismatched_rows_and_nan_are_clear_errors()
    {
        var (x, y) = Gaussian(100, 5, 2, seed: 12);
        var e1 = Assert.Throws<ArgumentException>(() => Leace.Fit(x, y[..99]));
        Assert.Contains("rows", e1.Message);
        var bad = x.clone(); bad[3, 2] = tensor(double.NaN);
        var e2 = Assert.Throws<ArgumentException>(() => Leace.Fit(bad, y));
        Assert.Contains("NaN", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Leace.Fit(x.to_type(ScalarType.Int64), y));
        Assert.Contains("float", e3.Message);
        using var fitter = new LeaceFitter(5, 1, device: CPU);
        var e4 = Assert.Throws<ArgumentException>(() => fitter.Update(x, y + 1)); // labels 1..2 for a binary fitter
        Assert.Contains("0..1", e4.Message);
        var e5 = Assert.Throws<InvalidOperationException>(() => fitter.Eraser);
        Assert.Contains("Update", e5.Message);
    }

    [Fact]
    public void A_constant_concept_is_a_clear_error()
    {
        var (x, _) = Gaussian(100, 5, 2, seed: 13);
        var e = Assert.Throws<InvalidOperationException>(() => Leace.Fit(x, zeros(100, dtype: ScalarType.Int64)));
        Assert.Contains("constant", e.Message);
        Assert.Throws<InvalidOperationException>(() => Leace.Fit(x, full(100, 0.3, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void Rank_deficient_x_is_erased_within_its_span()
    {
        // Documented behaviour: the pseudo-inverse square root works on the range of Σ_XX, so duplicated and
        // constant features are fine; the eraser is finite and Cov(x′, z) still vanishes.
        var (x0, y) = Gaussian(800, 5, 3, seed: 14);
        using var x = cat([x0, x0[.., 0..2] * 2, full(800, 1, 3.0, dtype: ScalarType.Float64)], 1); // d = 8, rank 5
        using var e = Leace.Fit(x, y);
        Assert.Equal(5, e.CovarianceRank);
        Assert.True(isfinite(e.Matrix).all().item<bool>());
        using var x2 = e.Apply(x);
        using var z = OneHot(y, 3);
        Assert.True(Norm(Cov(x2, z)) < 1e-10 * Norm(Cov(x, z)));
        Assert.True(MaxAbs(x2[.., 7] - 3.0) < 1e-10, "a constant feature is left untouched");
    }
}
