using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Running means and centred second moments of (X, Z) in float64, merged batch by batch with the
/// pairwise update of Chan, Golub &amp; LeVeque (1979): for a running set A and a new batch B with
/// δ = μ_B − μ_A, n = n_A + n_B,
/// μ = μ_A + δ·n_B/n and M = M_A + M_B + δ_x δ_zᵀ·n_A n_B / n,
/// where M_B = (X_B − μ_B)ᵀ(Z_B − μ_B) is one GEMM per batch. The result equals the one-batch
/// moments up to rounding, so data sets larger than memory can be fitted.
/// </summary>
internal sealed class StreamingMoments : IDisposable
{
    public long N { get; private set; }
    public Tensor MeanX { get; }
    public Tensor MeanZ { get; }
    /// <summary>Σᵢ (xᵢ − μ_x)(xᵢ − μ_x)ᵀ, or null when not tracked.</summary>
    public Tensor? Mxx { get; }
    /// <summary>Σᵢ (xᵢ − μ_x)(zᵢ − μ_z)ᵀ.</summary>
    public Tensor Mxz { get; }
    /// <summary>Σᵢ (zᵢ − μ_z)(zᵢ − μ_z)ᵀ.</summary>
    public Tensor Mzz { get; }

    public StreamingMoments(long xDim, long zDim, bool trackXX, Device device)
    {
        MeanX = Owned(zeros(xDim, dtype: ScalarType.Float64, device: device));
        MeanZ = Owned(zeros(zDim, dtype: ScalarType.Float64, device: device));
        Mxx = trackXX ? Owned(zeros(xDim, xDim, dtype: ScalarType.Float64, device: device)) : null;
        Mxz = Owned(zeros(xDim, zDim, dtype: ScalarType.Float64, device: device));
        Mzz = Owned(zeros(zDim, zDim, dtype: ScalarType.Float64, device: device));
    }

    static Tensor Owned(Tensor t) => t.DetachFromDisposeScope();

    /// <summary>Adds a batch: <paramref name="x"/> float64 [b, d], <paramref name="z"/> float64 [b, k].</summary>
    public void Update(Tensor x, Tensor z)
    {
        long nb = x.shape[0];
        if (nb == 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var mxb = x.mean([0L]);
        var mzb = z.mean([0L]);
        // NaN/±Inf anywhere in the batch reach its mean: checking d + k numbers replaces a pass over the batch,
        // and happens before the running state is touched.
        using (var ok = isfinite(cat([mxb, mzb])).all())
            if (!ok.item<bool>())
                throw new ArgumentException("x (or z) contains NaN or infinite values. Remove or impute those rows before fitting an eraser.");
        var xc = x - mxb;
        var zc = z - mzb;
        double na = N, n = N + nb;
        double f = na * nb / n;
        var dx = mxb - MeanX;
        var dz = mzb - MeanZ;
        var xcT = xc.t();
        if (Mxx is not null)
        {
            Mxx.addmm_(xcT, xc);
            if (na > 0) Mxx.add_(outer(dx, dx).mul_(f));
        }
        Mxz.addmm_(xcT, zc);
        Mzz.addmm_(zc.t(), zc);
        if (na > 0)
        {
            Mxz.add_(outer(dx, dz).mul_(f));
            Mzz.add_(outer(dz, dz).mul_(f));
        }
        MeanX.add_(dx.mul_(nb / n));
        MeanZ.add_(dz.mul_(nb / n));
        N += nb;
    }

    public void Dispose()
    {
        MeanX.Dispose(); MeanZ.Dispose(); Mxx?.Dispose(); Mxz.Dispose(); Mzz.Dispose();
    }
}
