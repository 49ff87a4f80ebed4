using LlcLab.IO;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Concept erasure on <c>.npy</c> features larger than memory. <see cref="Fit"/> streams the rows of a memory-mapped
/// file (<see cref="NpyReader"/>) chunk by chunk into a <see cref="LeaceFitter"/> — the same float64 moments, hence the
/// same eraser, as <see cref="Leace.Fit(Tensor, Tensor, LeaceOptions?)"/> on the whole matrix — and <c>Apply</c>
/// streams the erased rows into an output <c>.npy</c> written atomically (<see cref="NpyWriter"/>). Resident memory is
/// one chunk, its mapped view while it is copied, block-sized temporaries and the d×d statistics, whatever the number
/// of rows.
/// </summary>
public static class StreamingErasure
{
    /// <summary>Default bytes of features per chunk (32 MiB: 8,192 rows of 1,024 float32 features).</summary>
    public const long DefaultChunkBytes = 32L << 20;

    /// <summary>Streams <paramref name="x"/> (float32/float64 [n, d]) and the concept <paramref name="z"/> (n rows, in memory) into a
    /// fitter. The caller owns the returned fitter (its eraser: <see cref="LeaceFitter.FitEraser"/>).</summary>
    public static LeaceFitter Fit(NpyReader x, Tensor z, LeaceOptions? options = null, long chunkBytes = DefaultChunkBytes, Device? device = null)
    {
        CheckFeatures(x);
        if (z.dim() == 0 || z.shape[0] != x.Rows)
            throw new ArgumentException($"'{x.Path}' has {x.Rows} rows but the concept has {(z.dim() == 0 ? 0 : z.shape[0])}: they must describe the same samples.");
        var dev = device ?? Devices.Default;
        NativeHeap.ReturnLargeBlocksToTheSystem(); // resident memory must not grow with the number of rows
        var fitter = new LeaceFitter(x.Shape[1], ConceptLabels.ColumnCount(z), options, dev);
        try
        {
            x.ForEachChunk(x.RowsForBytes(chunkBytes), (start, rows) =>
            {
                using var zs = z.narrow(0, start, rows.shape[0]);
                if (dev.type == DeviceType.CPU) fitter.Update(rows, zs);
                else { using var r = rows.to(dev); fitter.Update(r, zs); }
            });
            return fitter;
        }
        catch { fitter.Dispose(); throw; }
    }

    /// <summary>Writes <paramref name="erase"/>(rows, first row index) of every row of <paramref name="x"/> to <paramref name="outPath"/>
    /// (dtype and shape of <paramref name="x"/>), atomically. <paramref name="erase"/> sees blocks of about 1 MiB of float64 (it may allocate
    /// float64 temporaries) and must return rows of the same shape. With <paramref name="z"/> the cross-covariance of the
    /// output with the concept is accumulated on the way and its Frobenius norm ‖Cov(x′, z)‖ returned (else NaN).</summary>
    public static double Apply(NpyReader x, string outPath, Func<Tensor, long, Tensor> erase, Tensor? z = null, long chunkBytes = DefaultChunkBytes, Device? device = null)
    {
        CheckFeatures(x);
        var dev = device ?? Devices.Default;
        NativeHeap.ReturnLargeBlocksToTheSystem();
        long d = x.Shape[1];
        int k = z is null ? 1 : ConceptLabels.ColumnCount(z);
        using var moments = z is null ? null : new StreamingMoments(d, k, trackXX: false, dev);
        // float64 temporaries of about 1 MiB per block: the eraser's working set stays in cache and small next to the chunk.
        long block = Math.Max(64, (1L << 20) / (8 * d));
        using var writer = new NpyWriter(outPath, x.DType, x.Shape);
        x.ForEachChunk(x.RowsForBytes(chunkBytes), (start, rows) =>
        {
            for (long s = 0; s < rows.shape[0]; s += block)
            {
                using var scope = NewDisposeScope();
                long m = Math.Min(block, rows.shape[0] - s);
                var xb = rows.narrow(0, s, m);
                if (dev.type != DeviceType.CPU) xb = xb.to(dev);
                var yb = erase(xb, start + s);
                if (!yb.shape.SequenceEqual(xb.shape))
                    throw new InvalidOperationException($"The eraser returned shape [{string.Join(", ", yb.shape)}] for rows [{string.Join(", ", xb.shape)}].");
                if (yb.dtype != x.DType) yb = yb.to_type(x.DType);
                if (moments is not null) { var zs = z!.narrow(0, start + s, m); moments.Update(yb, ConceptLabels.Encode(zs, k, dev)); }
                writer.Write(yb);
            }
        });
        writer.Commit();
        if (moments is null || moments.N < 2) return double.NaN;
        using var cov = moments.Mxz / (double)(moments.N - 1);
        return cov.norm().item<double>();
    }

    /// <summary><see cref="Apply(NpyReader, string, Func{Tensor, long, Tensor}, Tensor?, long, Device?)"/> with an affine eraser at
    /// strength <paramref name="strength"/>, edited in place block by block: the coefficients c = t·(x − μ)·Rᵀ [m, r] are computed in
    /// float64 (the block widened in a reused buffer), and the rank-r update x ← x − c·Lᵀ is done in x's dtype. For float32 rows this
    /// costs at most one more rounding (≈ 1 ulp) than computing everything in float64 and rounding the result, and it avoids two
    /// float64 copies of every block.</summary>
    public static double Apply(IEraser eraser, NpyReader x, string outPath, double strength = 1.0, Tensor? z = null, long chunkBytes = DefaultChunkBytes, Device? device = null)
    {
        if (x.Shape.Length == 2 && x.Shape[1] != eraser.Dim)
            throw new ArgumentException($"'{x.Path}' has {x.Shape[1]} features but the eraser was fitted on {eraser.Dim}.");
        if (eraser is not AffineEraser a) return Apply(x, outPath, (rows, _) => eraser.Apply(rows, strength), z, chunkBytes, device);
        var dev = device ?? Devices.Default;
        using var rT = a.Right.t().to(dev).contiguous();
        using var muR = a.Mean.to(dev).matmul(rT);
        using var lT = a.Left.t().to(x.DType, dev).contiguous();
        Tensor? scratch = null;
        try
        {
            return Apply(x, outPath, (rows, _) =>
            {
                long m = rows.shape[0];
                if (scratch is null || scratch.shape[0] < m) { scratch?.Dispose(); scratch = empty([m, eraser.Dim], dtype: ScalarType.Float64, device: dev).DetachFromDisposeScope(); }
                var w = scratch.narrow(0, 0, m);
                w.copy_(rows);
                using (var sum = w.sum()) if (!double.IsFinite(sum.item<double>())) InputChecks.Finite(rows, "x");
                var coef = w.matmul(rT).sub_(muR);
                if (strength != 1.0) coef.mul_(strength);
                return rows.addmm_(coef.to_type(x.DType), lT, beta: 1, alpha: -1);
            }, z, chunkBytes, device);
        }
        finally { scratch?.Dispose(); }
    }

    /// <summary>‖Cov(r_t(x), z)‖_F = ‖(I − t·L·R)·Σ_XZ‖_F for an affine eraser (Q = L·R) and the data's cross-covariance
    /// <paramref name="sigmaXZ"/> [d, k]: exact arithmetic on the statistics, O(d·r·k), no pass over the data.</summary>
    public static double CrossCovarianceNormAfter(AffineEraser eraser, Tensor sigmaXZ, double strength = 1.0)
    {
        using var scope = NewDisposeScope();
        var s = sigmaXZ.to(ScalarType.Float64, eraser.Left.device);
        return (s - eraser.Left.matmul(eraser.Right.matmul(s)) * strength).norm().item<double>();
    }

    static void CheckFeatures(NpyReader x)
    {
        if (x.Shape.Length != 2 || x.DType is not (ScalarType.Float32 or ScalarType.Float64))
            throw new InvalidDataException($"'{x.Path}' must hold a float32 or float64 matrix [n, d] but holds {x.DType} ({string.Join(", ", x.Shape)}). " +
                                           "Save it from Python with np.save(path, a.astype(np.float32)).");
    }
}
