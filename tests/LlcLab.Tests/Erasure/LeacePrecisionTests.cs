using LlcLab.Erasure;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

/// <summary>
/// The whitening's pseudo-inverse ignores eigenvalues below the input's rounding level, so float32 features that are
/// collinear up to rounding (as hidden ReLU features often are) do not give an eraser with huge entries.
/// </summary>
public class LeacePrecisionTests
{
    static (Tensor X, Tensor Z) NearlyCollinear()
    {
        var g = LlcLab.Runtime.Seeding.Generator(12);
        var z = randint(0, 2, [4000], generator: g);
        var basis = randn([4000, 4], generator: g, dtype: ScalarType.Float64);
        basis[.., 0] += z.to(ScalarType.Float64);
        // Column 4 is columns 0 + 1 up to a relative 1e-5 wobble: an eigenvalue of Σ_XX ~1e-11·λ_max, far below what
        // float32 data resolves (d·ε₃₂ ≈ 6e-7) — as accumulated rounding in a network's hidden layer produces.
        var wobble = randn([4000], generator: g, dtype: ScalarType.Float64) * 1e-5;
        var x = cat([basis, (basis[.., 0] + basis[.., 1] + wobble).unsqueeze(1)], 1).to(ScalarType.Float32);
        return (x, z);
    }

    [Fact]
    public void Float32_rounding_directions_are_not_inverted()
    {
        var (x, z) = NearlyCollinear();
        using var e = Leace.Fit(x, z);
        var (m, _) = e.AffineForm();
        double big = m.abs().max().item<double>();
        Assert.True(big < 5, $"max |P| = {big:G3}: a rounding-level eigenvalue was inverted");
        // the guarantee still holds to the data's precision: no linear correlation with z left
        var xe = e.Apply(x).to(ScalarType.Float64);
        var zc = z.to(ScalarType.Float64) - z.to(ScalarType.Float64).mean();
        var cross = (xe - xe.mean([0])).T.matmul(zc) / x.shape[0];
        Assert.True(cross.abs().max().item<double>() < 1e-4, $"cross-covariance left: {cross.abs().max().item<double>():G3}");
    }

    [Fact]
    public void A_float64_tolerance_on_float32_data_would_amplify_noise()
    {
        // The same data with the float64 tolerance reproduces the failure the default avoids (so the test above can fail).
        var (x, z) = NearlyCollinear();
        using var e = Leace.Fit(x, z, new LeaceOptions(EigenvalueRelativeTolerance: 5 * 2.2e-16));
        var (m, _) = e.AffineForm();
        Assert.True(m.abs().max().item<double>() > 20, $"max |P| = {m.abs().max().item<double>():G3}");
    }
}
