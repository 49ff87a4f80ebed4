using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Oracle LEACE (Belrose et al. 2023, §4 "oracle concept erasure", Thm 4.2): with the concept z known at
/// inference, x′ = x − Σ_XZ Σ_ZZ⁺ (z − μ_z) — the residual of the ordinary least-squares regression of X on Z.
/// It makes Cov(x′, z) = 0 with the smallest possible edit, but needs z for every row it erases, so it does
/// not implement <see cref="IEraser"/>.
/// </summary>
public sealed class OracleEraser : IDisposable
{
    /// <summary>B = Σ_XZ Σ_ZZ⁺, [d, k], float64.</summary>
    public Tensor Coefficients { get; }
    /// <summary>μ_z, [k], float64.</summary>
    public Tensor MeanZ { get; }
    /// <summary>Concept columns k (see <see cref="ConceptLabels"/>).</summary>
    public int ZDim { get; }
    public long Dim => Coefficients.shape[0];
    public string Method => "oracle";

    internal OracleEraser(Tensor coefficients, Tensor meanZ)
    {
        Coefficients = AffineEraser.Own(coefficients);
        MeanZ = AffineEraser.Own(meanZ);
        ZDim = (int)MeanZ.shape[0];
    }

    /// <summary>Fits from rows x <c>[n, d]</c> and concept z (labels or continuous), statistics in float64.</summary>
    /// <param name="x">Features.</param>
    /// <param name="z">Concept labels <c>[n]</c> or continuous <c>[n]</c>/<c>[n, k]</c>.</param>
    /// <param name="svdRelativeTolerance">Eigenvalues of Σ_ZZ below tol·max count as zero in Σ_ZZ⁺.</param>
    public static OracleEraser Fit(Tensor x, Tensor z, double svdRelativeTolerance = 1e-8)
    {
        InputChecks.Features(x);
        InputChecks.SameRows(x, z);
        int zDim = ConceptLabels.ColumnCount(z);
        using var scope = NewDisposeScope();
        using var m = new StreamingMoments(x.shape[1], zDim, false, x.device);
        m.Update(x.to_type(ScalarType.Float64), ConceptLabels.Encode(z, zDim, x.device));
        double zVar = m.Mzz.diagonal().sum().item<double>();
        if (!(zVar > 0))
            throw new InvalidOperationException("The concept is constant over the data (a single class, or constant columns): there is nothing to erase.");
        var pinvZZ = linalg.pinv(m.Mzz, rtol: svdRelativeTolerance, hermitian: true);
        return new OracleEraser(m.Mxz.matmul(pinvZZ), m.MeanZ);
    }

    /// <summary>x′ = x − (z − μ_z)·Bᵀ, in the dtype of <paramref name="x"/>.</summary>
    public Tensor Apply(Tensor x, Tensor z) => Apply(x, z, 1.0);

    /// <summary>x − t·(z − μ_z)·Bᵀ.</summary>
    public Tensor Apply(Tensor x, Tensor z, double strength)
    {
        InputChecks.Features(x, "x", Dim);
        InputChecks.SameRows(x, z);
        using var scope = NewDisposeScope();
        var x64 = x.to_type(ScalarType.Float64);
        var z64 = ConceptLabels.Encode(z, ZDim, x.device);
        var y = x64 - (z64 - MeanZ.to(x.device)).matmul(Coefficients.to(x.device).t()) * strength;
        return y.to_type(x.dtype).MoveToOuterDisposeScope();
    }

    public override string ToString() => $"oracle eraser (d = {Dim}, concept columns {ZDim})";

    public void Dispose() { Coefficients.Dispose(); MeanZ.Dispose(); }
}
