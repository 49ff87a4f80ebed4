using LlcLab.Erasure;
using LlcLab.Models;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class NullEditsTests
{
    static Tensor Map(IEraser e) => e.AffineForm().Matrix;
    static double[] Sv(Tensor m) => linalg.svdvals(m).data<double>().ToArray();
    static long NumRank(Tensor m) { var s = Sv(m); return s.Count(v => v > 1e-8 * s[0]); }
    static double IdempotenceError(Tensor m) => Norm(m.matmul(m) - m) / Norm(m);

    [Theory]
    [InlineData(2, 1)] // binary concept: rank 1
    [InlineData(4, 3)] // four classes: rank 3, three 2×2 blocks
    public void Null_edits_match_rank_and_spectrum_and_are_projections_or_invertible(int classes, int rank)
    {
        var (x, y) = Gaussian(3000, 10, classes, seed: 7, sep: 0.7);
        using var set = NullEdits.Build(x, y, seed: 11);
        Assert.Equal(rank, set.Leace.Rank);
        var m = Map(set.Leace);
        var s = Sv(m);
        Assert.True(s[0] > 1.5, $"LEACE here is oblique (‖M‖₂ = {s[0]:F2}), so the spectrum test has teeth");

        // (a), (b), (d): projections of rank d − r; (c): invertible.
        foreach (var e in new[] { set.Orthogonal, set.Oblique, set.Whitened })
        {
            Assert.Equal(rank, e.Rank);
            Assert.Equal(10 - rank, NumRank(Map(e)));
            Assert.True(IdempotenceError(Map(e)) < 1e-10, $"{e.Method} is not idempotent");
        }
        // (a) is orthogonal (symmetric, ‖·‖₂ = 1) with LEACE's kernel, so it erases too: Cov(r_a(x), z) = 0.
        var ma = Map(set.Orthogonal);
        Assert.True(Norm(ma - ma.t()) < 1e-12);
        Assert.True(Math.Abs(Sv(ma)[0] - 1) < 1e-12);
        Assert.True(Norm(m.matmul(set.Leace.Left)) < 1e-9 * Norm(set.Leace.Left) && Norm(ma.matmul(set.Leace.Left)) < 1e-9 * Norm(set.Leace.Left));
        Assert.True(Norm(Cov(set.Orthogonal.Apply(x), OneHot(y, classes))) < 1e-10 * Norm(Cov(x, OneHot(y, classes))));
        // (b) has exactly LEACE's singular values, in other directions (the concept survives it).
        var sb = Sv(Map(set.Oblique));
        for (int i = 0; i < s.Length; i++) Assert.True(Math.Abs(sb[i] - s[i]) < 1e-9 * s[0], $"σ{i}: {sb[i]} vs LEACE {s[i]}");
        Assert.True(Norm(Cov(set.Oblique.Apply(x), OneHot(y, classes))) > 0.1 * Norm(Cov(x, OneHot(y, classes))));
        // (c) has LEACE's nonzero singular values and its zeros lifted to the smallest nonzero one (1 here): invertible.
        var sc = Sv(Map(set.Invertible));
        for (int i = 0; i < s.Length; i++) Assert.True(Math.Abs(sc[i] - Math.Max(s[i], 1)) < 1e-9 * s[0], $"σ{i}: {sc[i]} vs lifted {Math.Max(s[i], 1)}");
        Assert.True(sc[^1] > 0.999);
        // With LEACE's basis, (c) agrees with LEACE on the image of LEACE's map: M_c = M + U₀V₀ᵀ, a rank-r difference.
        Assert.Equal(rank, NumRank(Map(set.Invertible) - m));
        // (d) is a LEACE-type (Σ-self-adjoint) projection: Q·Σ is symmetric, as for LEACE itself; (b) is not.
        var xc = x - x.mean([0L]);
        var sigma = xc.t().matmul(xc) / x.shape[0];
        foreach (var (e, selfAdjoint) in new (IEraser, bool)[] { (set.Leace, true), (set.Whitened, true), (set.Oblique, false) })
        {
            var qs = (eye(10, dtype: ScalarType.Float64) - Map(e)).matmul(sigma);
            double asym = Norm(qs - qs.t()) / Norm(qs);
            Assert.True(selfAdjoint ? asym < 1e-8 : asym > 1e-3, $"{e.Method}: asymmetry {asym:G3}");
        }
        // Same centring as LEACE: every edit fixes the mean.
        var mu = x.mean([0L]).unsqueeze(0);
        foreach (var (_, e) in set.Nulls) Assert.True(Norm(e.Apply(mu) - mu) < 1e-9 * Norm(mu));
    }

    [Fact]
    public void Random_edits_are_determined_by_the_seed()
    {
        var (x, y) = Gaussian(1500, 8, 2, seed: 3);
        using var a = NullEdits.Build(x, y, seed: 5);
        using var b = NullEdits.Build(x, y, seed: 5);
        using var c = NullEdits.Build(x, y, seed: 6);
        foreach (var ((name, ea), (_, eb), (_, ec)) in a.Nulls.Zip(b.Nulls, c.Nulls))
        {
            Assert.True(Norm(Map(ea) - Map(eb)) == 0, $"{name} differs for the same seed");
            bool random = name is NullEdits.ObliqueName or NullEdits.WhitenedName;
            Assert.Equal(random, Norm(Map(ea) - Map(ec)) > 1e-3);
        }
        using var leace = Leace.Fit(x, y);
        using var r1 = NullEdits.Invertible(leace, seed: 1, InvertibleBasis.Random);
        using var r2 = NullEdits.Invertible(leace, seed: 2, InvertibleBasis.Random);
        Assert.True(Norm(Map(r1) - Map(r2)) > 1e-3);
        var s = Sv(Map(leace));
        var s1 = Sv(Map(r1));
        for (int i = 0; i < s.Length; i++) Assert.True(Math.Abs(s1[i] - Math.Max(s[i], 1)) < 1e-9 * s[0]);
    }

    [Fact]
    public void Null_edits_insert_and_fold_like_the_eraser_and_refuse_non_projections()
    {
        using var net = Network.Create("mlp:6-8-8-3:relu", seed: 1, device: CPU);
        var (x, _) = Gaussian(400, 6, 2, seed: 9, dtype: ScalarType.Float32);
        using var h = net.Activations("h1", x);
        var z = h[.., 0].gt(h[.., 0].median()).to(ScalarType.Int64);
        using var set = NullEdits.Build(h, z, seed: 2);
        foreach (var (name, e) in set.Nulls)
        {
            using var inserted = e.InsertInto(net, "h1");
            Assert.True(Norm(inserted.Activations("h1", x) - e.Apply(h)) < 1e-4, $"{name} inserted");
            using var folded = e.FoldInto(net, "h1");
            Assert.True(Norm(folded.Forward(x) - inserted.Forward(x)) < 1e-3, $"{name} folded");
        }
        using var half = (AffineEraser)set.Leace.WithStrength(0.5);
        Assert.Contains("projection", Assert.Throws<ArgumentException>(() => NullEdits.Orthogonal(half)).Message);
    }
}
