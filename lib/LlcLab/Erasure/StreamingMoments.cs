using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Running means and centred second moments of (X, Z) in float64, merged batch by batch with the
/// pairwise update of Chan, Golub &amp; LeVeque (1979): for a running set A and a new batch B with
/// δ = μ_B − μ_A, n = n_A + n_B,
/// μ = μ_A + δ·n_B/n and M = M_A + M_B + δ_x δ_zᵀ·n_A n_B / n,
/// where M_B = (X_B − μ_B)ᵀ(Z_B − μ_B) is one GEMM per batch. The result equals the one-batch
/// moments up to rounding, so data sets larger than memory can be fitted chunk by chunk.
/// </summary>
internal sealed class StreamingMoments : IDisposable
{
    public long N { get; private set; }
    public Tensor MeanX { get; }
    public Tensor MeanZ { get; }
    readonly Tensor? mxx;
    bool lowerStale;

    /// <summary>Σᵢ (xᵢ − μ_x)(xᵢ − μ_x)ᵀ (symmetric), or null when not tracked.</summary>
    public Tensor? Mxx { get { Symmetrize(); return mxx; } }
    /// <summary>Σᵢ (xᵢ − μ_x)(zᵢ − μ_z)ᵀ.</summary>
    public Tensor Mxz { get; }
    /// <summary>Σᵢ (zᵢ − μ_z)(zᵢ − μ_z)ᵀ.</summary>
    public Tensor Mzz { get; }

    public StreamingMoments(long xDim, long zDim, bool trackXX, Device device)
    {
        MeanX = Owned(zeros(xDim, dtype: ScalarType.Float64, device: device));
        MeanZ = Owned(zeros(zDim, dtype: ScalarType.Float64, device: device));
        mxx = trackXX ? Owned(zeros(xDim, xDim, dtype: ScalarType.Float64, device: device)) : null;
        Mxz = Owned(zeros(xDim, zDim, dtype: ScalarType.Float64, device: device));
        Mzz = Owned(zeros(zDim, zDim, dtype: ScalarType.Float64, device: device));
    }

    static Tensor Owned(Tensor t) => t.DetachFromDisposeScope();

    /// <summary>Rows per product block: a block (2 MiB of float64 at d = 512) is widened, centred and multiplied in cache.</summary>
    internal const long Block = 512;

    /// <summary>Adds a batch: <paramref name="x"/> float32 or float64 [b, d], <paramref name="z"/> float64 [b, k]. Everything is
    /// float64, computed block by block (<see cref="Block"/> rows) in one reused float64 buffer that stays in cache:
    /// <list type="bullet">
    /// <item>Σx: each block is widened into the buffer and summed there. (ATen's <c>sum(dtype: Float64)</c> of a float32 tensor
    /// on the CPU first widens the whole tensor into a new one: for a 32 MiB chunk that is a 64 MiB allocation, fresh pages
    /// and a pass over memory per chunk — measured as most of <c>llclab erase</c>'s page faults.)</item>
    /// <item>Σ(x − x̄)(x − x̄)ᵀ: each block is widened again, centred on the batch mean and multiplied by a float64 GEMM over the
    /// upper block triangle only (about 56 % of the full product's flops). (Multiplying float32 blocks in float32 and summing
    /// in float64 runs faster but leaves ~1e-6·λ_max of rounding in Σ, which reaches the eigenvalues LEACE inverts.)</item>
    /// <item>M_xz = Σ (x − x̄)(z − z̄)ᵀ: a float64 GEMM [d, m]·[m, k] of the same centred block (k columns, so a few percent of
    /// the Gram's flops), for class indicators and continuous concepts alike.</item>
    /// </list></summary>
    public void Update(Tensor x, Tensor z)
    {
        long nb = x.shape[0], d = x.shape[1];
        if (nb == 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var buffer = empty([Math.Min(Block, nb), d], dtype: ScalarType.Float64, device: x.device);
        Tensor sumX;
        if (x.dtype == ScalarType.Float64) sumX = x.sum([0L]);
        else
        {
            sumX = zeros(d, dtype: ScalarType.Float64, device: x.device);
            for (long s = 0; s < nb; s += Block)
            {
                long m = Math.Min(Block, nb - s);
                using var xs = x.narrow(0, s, m);
                using var xb = buffer.narrow(0, 0, m);
                xb.copy_(xs);
                using var part = xb.sum([0L]);
                sumX.add_(part);
            }
        }
        var mxb = sumX / nb;
        var mzb = z.mean([0L]);
        // NaN/±Inf anywhere in the batch reach its mean: checking d + k numbers replaces a pass over the batch,
        // and happens before the running state is touched.
        using (var ok = isfinite(cat([mxb, mzb])).all())
            if (!ok.item<bool>())
                throw new ArgumentException("x (or z) contains NaN or infinite values. Remove or impute those rows before fitting an eraser.");
        var zc = z - mzb;
        for (long s = 0; s < nb; s += Block)
        {
            long m = Math.Min(Block, nb - s);
            using var xs = x.narrow(0, s, m);
            using var xb = buffer.narrow(0, 0, m);
            xb.copy_(xs).sub_(mxb);
            using var xbT = xb.t();
            using var zb = zc.narrow(0, s, m);
            Mxz.addmm_(xbT, zb);
            if (mxx is not null) AddUpperGram(xb, xbT);
        }
        lowerStale |= mxx is not null;
        Mzz.addmm_(zc.t(), zc);
        double na = N, n = N + nb;
        double f = na * nb / n;
        var dx = mxb - MeanX;
        var dz = mzb - MeanZ;
        if (na > 0)
        {
            mxx?.add_(outer(dx, dx).mul_(f));
            Mxz.add_(outer(dx, dz).mul_(f));
            Mzz.add_(outer(dz, dz).mul_(f));
        }
        MeanX.add_(dx.mul_(nb / n));
        MeanZ.add_(dz.mul_(nb / n));
        N += nb;
    }

    /// <summary>Column panels of the Gram matrix: X_cᵀX_c is symmetric, so only its upper block triangle is multiplied — panel p is
    /// X[:, I_p]ᵀ·X[:, I_p ∪ later], about (1 + 1/P)/2 of the full GEMM's flops for P panels — and the lower triangle is restored
    /// from the upper one when <see cref="Mxx"/> is read.</summary>
    void AddUpperGram(Tensor xb, Tensor xbT)
    {
        long d = xb.shape[1];
        long panel = d <= 64 ? d : Math.Max(32, (d + 7) / 8);
        for (long i = 0; i < d; i += panel)
        {
            long w = Math.Min(panel, d - i);
            using var a = xbT.narrow(0, i, w);
            using var b = xb.narrow(1, i, d - i);
            using var target = mxx!.narrow(0, i, w).narrow(1, i, d - i);
            target.addmm_(a, b);
        }
    }

    /// <summary>Copies the upper triangle (where <see cref="AddUpperGram"/> accumulates) over the lower one.</summary>
    void Symmetrize()
    {
        if (!lowerStale || mxx is null) return;
        using var _ = no_grad();
        using var upper = mxx.triu();
        using var strict = mxx.triu(1);
        using var lowerT = strict.t();
        mxx.copy_(upper.add_(lowerT));
        lowerStale = false;
    }

    public void Dispose()
    {
        MeanX.Dispose(); MeanZ.Dispose(); mxx?.Dispose(); Mxz.Dispose(); Mzz.Dispose();
    }
}
