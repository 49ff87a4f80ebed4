using LlcLab.Runtime;
using LlcLab.Erasure;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class PeerErasureTests
{
    [Fact]
    public void Oracle_leace_erases_with_an_edit_no_larger_than_leace()
    {
        var (x, y) = Gaussian(2000, 8, 3, seed: 31, sep: 2);
        using var oracle = OracleEraser.Fit(x, y);
        using var x2 = oracle.Apply(x, y);
        using var z = OneHot(y, 3);
        Assert.True(Norm(Cov(x2, z)) < 1e-10 * Norm(Cov(x, z)));
        using var leace = Leace.Fit(x, y);
        double eO = (x2 - x).Squared().sum(1).mean().item<double>();
        double eL = (leace.Apply(x) - x).Squared().sum(1).mean().item<double>();
        Assert.True(eO <= eL * (1 + 1e-9), $"oracle edit {eO} vs LEACE {eL}");
        Assert.True(MaxAbs(oracle.Apply(x, y, 0.0) - x) == 0);
        Assert.Equal(ScalarType.Float32, oracle.Apply(x.to_type(ScalarType.Float32), y).dtype);
    }

    [Fact]
    public void Mean_difference_equals_the_orthogonal_projection_for_class_labels()
    {
        // col(Σ_XZ) = span{p_j(μ_j − μ)} for one-hot Z: the two projections coincide.
        var (x, y) = Gaussian(900, 7, 4, seed: 32);
        using var md = MeanDifference.Fit(x, y);
        using var orth = Leace.Fit(x, y, LeaceOptions.Orthogonal);
        Assert.Equal(3, md.Rank);
        Assert.True(MaxAbs(md.Matrix - orth.Matrix) < 1e-10);
        Assert.True(MaxAbs(md.Matrix - md.Matrix.t()) < 1e-12, "an orthogonal projection is symmetric");
    }

    [Fact]
    public void Inlp_projects_until_the_probe_is_at_chance_and_exposes_every_round()
    {
        var (x, y) = Gaussian(1200, 10, 2, seed: 33, sep: 1.5);
        var r = Inlp.Fit(x, y, new InlpOptions(MaxIterations: 10, ChanceMargin: 0.03));
        Assert.True(r.ReachedChance, $"final accuracy {r.FinalAccuracy} vs chance {r.ChanceLevel}");
        Assert.NotEmpty(r.Iterations);
        Assert.True(r.Iterations[0].ProbeAccuracy > 0.8, "the first probe must see the concept");
        for (int i = 0; i < r.Iterations.Count; i++)
        {
            var it = r.Iterations[i];
            Assert.Equal(i + 1, it.Rank); // one direction per binary round
            var p = it.Eraser.Matrix;
            Assert.True(MaxAbs(p.matmul(p) - p) < 1e-10 && MaxAbs(p - p.t()) < 1e-10, "each round is an orthogonal projection");
        }
        Assert.Equal(r.Iterations[^1].Rank, r.Eraser.Rank);
        var after = LinearProbe.Fit(r.Eraser.Apply(x), y);
        Assert.True(after.Accuracy <= after.ChanceLevel + 0.03, after.ToString());
    }

    [Fact]
    public void Rlace_removes_the_mean_difference_direction_for_binary_gaussians()
    {
        // Isotropic classes N(±δ/2, I): the classifier's direction and the adversary's target coincide with δ.
        using var g = LlcLab.Runtime.Seeding.Generator(34);
        var y = randint(0, 2, [1200], dtype: ScalarType.Int64, generator: g);
        using var dir = tensor(new[] { 1.0, -1.0, 0.5, 0.0, 2.0, 0.0 }, dtype: ScalarType.Float64);
        var x = randn([1200, 6], dtype: ScalarType.Float64, generator: g) + (y.to_type(ScalarType.Float64) - 0.5).unsqueeze(1) * dir * 1.5;
        var r = Rlace.Fit(x, y, new RlaceOptions(Rank: 1, Seed: 1));
        Assert.Equal(1, r.Eraser.Rank);
        var before = LinearProbe.Fit(x, y);
        Assert.True(before.Accuracy > 0.85, before.ToString());
        AssertNearChanceAlongMeanDifference(x, y, r);
        var p = r.Eraser.Matrix;
        Assert.True(MaxAbs(p.matmul(p) - p) < 1e-10 && MaxAbs(p - p.t()) < 1e-10);
        // Deterministic: the same seed gives the same projection.
        var again = Rlace.Fit(x, y, new RlaceOptions(Rank: 1, Seed: 1));
        Assert.True(MaxAbs(again.Eraser.Matrix - p) < 1e-12);
        Assert.Equal(r.IterationsRun, again.IterationsRun);
    }

    [Fact]
    public void Rlace_finds_the_mean_difference_even_when_the_probe_looks_elsewhere()
    {
        // Correlated, anisotropic features: Σ = Q diag(0.05 … 4) Qᵀ. The best probe direction Σ⁻¹δ is far from δ, but the
        // only rank-1 orthogonal projection that equalises the class means (so that no linear probe beats chance) removes δ.
        using var g = LlcLab.Runtime.Seeding.Generator(36);
        const int n = 2000, d = 6;
        var q = linalg.qr(randn([d, d], dtype: ScalarType.Float64, generator: g)).Q;
        var a = q.matmul(diag(linspace(0.05, 2.0, d, dtype: ScalarType.Float64))); // Σ = A Aᵀ, eigenvalues 0.0025 … 4
        var delta = q[.., 0] * 0.2 + q[.., d - 1] * 1.5;                             // mostly along the widest axis, a little along the thinnest
        var y = randint(0, 2, [n], dtype: ScalarType.Int64, generator: g);
        var x = randn([n, d], dtype: ScalarType.Float64, generator: g).matmul(a.t()) + (y.to_type(ScalarType.Float64) - 0.5).unsqueeze(1) * delta;
        var before = LinearProbe.Fit(x, y);
        double probeCos = Math.Abs((before.Coefficients[0] * delta).sum().item<double>() / (before.Coefficients[0].norm() * delta.norm()).item<double>());
        Assert.True(probeCos < 0.5, $"the probe direction should differ from δ (|cos| = {probeCos})");
        Assert.True(before.Accuracy > 0.9, before.ToString());
        var r = Rlace.Fit(x, y, new RlaceOptions(Rank: 1, Seed: 2));
        AssertNearChanceAlongMeanDifference(x, y, r);
    }

    /// <summary>Fresh held-out probes (RLACE's own and one on another split) within 3 points of chance, and the removed
    /// direction ≈ the sample mean difference μ₁ − μ₀.</summary>
    static void AssertNearChanceAlongMeanDifference(Tensor x, Tensor y, RlaceResult r)
    {
        string trace = $"best {r.BestIteration} of {r.IterationsRun}, dev losses {string.Join(" ", r.AdversaryLoss.Select(v => v.ToString("F3")))}";
        Assert.True(r.ProbeAccuracy <= r.ChanceLevel + 0.03, $"accuracy {r.ProbeAccuracy} vs chance {r.ChanceLevel}, {trace}");
        var other = LinearProbe.Fit(r.Eraser.Apply(x), y, ProbeOptions.Default with { Seed = 7 });
        Assert.True(other.Accuracy <= other.ChanceLevel + 0.03, $"{other}, {trace}");
        var delta = x.index_select(0, (y == 1).nonzero().squeeze(1)).mean([0L]) - x.index_select(0, (y == 0).nonzero().squeeze(1)).mean([0L]);
        var u = r.Eraser.Left[.., 0];
        double cos = Math.Abs((u * delta).sum().item<double>() / delta.norm().item<double>());
        Assert.True(cos > 0.98, $"|cos(u, μ₁ − μ₀)| = {cos}, {trace}");
    }

    [Fact]
    public void Fantope_projection_has_trace_k_and_eigenvalues_in_unit_interval()
    {
        using var g = LlcLab.Runtime.Seeding.Generator(35);
        using var r = randn([6, 6], dtype: ScalarType.Float64, generator: g) * 3;
        var a = Rlace.FantopeProject((r + r.t()) / 2, 2);
        Assert.True(Math.Abs(a.trace().item<double>() - 2) < 1e-9);
        var l = linalg.eigvalsh(a);
        Assert.True(l.min().item<double>() > -1e-12 && l.max().item<double>() < 1 + 1e-12);
    }
}
