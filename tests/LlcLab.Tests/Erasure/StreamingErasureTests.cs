using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Tests.IO;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

/// <summary>LEACE fitted and applied chunk by chunk from memory-mapped .npy files (<see cref="StreamingErasure"/>).</summary>
public class StreamingErasureTests
{
    static double Rel(Tensor a, Tensor b) => MaxAbs(a - b) / MaxAbs(b);

    [Theory]
    [InlineData(1L)]      // every chunk a single row
    [InlineData(97L)]     // does not divide n
    [InlineData(600L)]    // more than one product block (512 rows) per chunk, not dividing n
    [InlineData(5000L)]   // one chunk holding everything
    public void Streaming_fit_from_npy_equals_the_in_memory_fit(long rowsPerChunk)
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Gaussian(1303, 8, 3, seed: 21);
        Npy.Write(dir.File("x.npy"), x);
        using var once = Leace.Fit(x, y);
        using var reader = NpyReader.Open(dir.File("x.npy"));
        using var fitter = StreamingErasure.Fit(reader, y, chunkBytes: rowsPerChunk * reader.RowBytes);
        Assert.Equal(1303, fitter.N);
        using var streamed = fitter.FitEraser();
        var (p1, c1) = once.AffineForm();
        var (p2, c2) = streamed.AffineForm();
        Assert.True(Rel(p2, p1) < 1e-6, $"P differs by {Rel(p2, p1):E2} (relative)");
        Assert.True(Rel(c2, c1) < 1e-6, $"c differs by {Rel(c2, c1):E2} (relative)");
        using var inMemory = new LeaceFitter(8, 3, device: CPU).Update(x, y);
        Assert.True(Rel(fitter.SigmaXX, inMemory.SigmaXX) < 1e-12);
        Assert.True(Rel(fitter.SigmaXZ, inMemory.SigmaXZ) < 1e-12);
    }

    [Theory]
    [InlineData(3, 300L)]   // class indicators, chunks of less than one product block
    [InlineData(4, 1303L)]  // one chunk of several 512-row product blocks (1303 = 512 + 512 + 279)
    public void Cross_covariance_of_class_indicators_equals_the_float64_formula(int classes, long rowsPerChunk)
    {
        // Σ_XZ of categorical labels comes from the same float64 product of the centred, widened block as a continuous
        // concept's; compare it with the one-hot formula computed directly in float64.
        var (x, y) = Gaussian(1303, 24, classes, seed: 23, sep: 2.0, dtype: ScalarType.Float32);
        using var x64 = x.to_type(ScalarType.Float64);
        using var onehot = nn.functional.one_hot(y, classes).to_type(ScalarType.Float64);
        using var direct = Cov(x64, onehot);
        using var f = new LeaceFitter(24, classes, device: CPU);
        for (long s = 0; s < 1303; s += rowsPerChunk)
        {
            long m = Math.Min(rowsPerChunk, 1303 - s);
            f.Update(x.narrow(0, s, m), y.narrow(0, s, m));
        }
        using var sxz = f.SigmaXZ;
        Assert.True(Rel(sxz, direct) < 1e-12, $"Σ_XZ differs by {Rel(sxz, direct):E2} (relative)");
    }

    [Theory]
    [InlineData(97L)]
    [InlineData(1303L)]
    public void Float32_rows_are_accumulated_in_float64(long rowsPerChunk)
    {
        // float32 input is widened block by block, never as a whole: the moments must equal the float64 formulas on the stored
        // float32 values (a float32 GEMM would be off by ~1e-6).
        var (x, y) = Gaussian(1303, 40, 2, seed: 22, sep: 3.0, dtype: ScalarType.Float32);
        using var x64 = x.to_type(ScalarType.Float64);
        using var exact = new LeaceFitter(40, 1, device: CPU).Update(x64, y);
        using var direct = Cov(x64, x64);
        using var f = new LeaceFitter(40, 1, device: CPU);
        for (long s = 0; s < 1303; s += rowsPerChunk)
        {
            long m = Math.Min(rowsPerChunk, 1303 - s);
            f.Update(x.narrow(0, s, m), y.narrow(0, s, m));
        }
        Assert.True(Rel(f.SigmaXX, direct) < 1e-12, $"Σ_XX differs by {Rel(f.SigmaXX, direct):E2}");
        Assert.True(Rel(f.SigmaXZ, exact.SigmaXZ) < 1e-12, "Σ_XZ is float64 throughout (a float64 GEMM of the widened block)");
        Assert.True(Rel(f.MeanX, exact.MeanX) < 1e-12);
    }

    [Fact]
    public void Streamed_output_is_the_erased_matrix_with_equal_class_means()
    {
        using var dir = new Fixture.TempDir();
        var (x, y) = Gaussian(1100, 6, 3, seed: 23, sep: 2.0);
        Npy.Write(dir.File("x.npy"), x);
        using var reader = NpyReader.Open(dir.File("x.npy"));
        using var fitter = StreamingErasure.Fit(reader, y, chunkBytes: 130 * reader.RowBytes);
        using var e = fitter.FitEraser();
        double measured = StreamingErasure.Apply(e, reader, dir.File("erased.npy"), z: y, chunkBytes: 130 * reader.RowBytes);
        using var erased = Npy.Read(dir.File("erased.npy"));
        using var direct = e.Apply(x);
        Assert.Equal(ScalarType.Float64, erased.dtype);
        Assert.True(MaxAbs(erased - direct) < 1e-12 * MaxAbs(direct));
        // LEACE's guarantee: every class has the same mean after erasure (so no linear classifier beats a constant).
        var means = Enumerable.Range(0, 3).Select(c => erased.index_select(0, y.eq(c).nonzero().squeeze(1)).mean([0L])).ToList();
        double spread = means.Skip(1).Max(m => MaxAbs(m - means[0]));
        Assert.True(spread < 1e-10, $"class means differ by {spread:E2} after erasure");
        // The measured ‖Cov(x′, z)‖ on the written rows agrees with the one computed from the statistics, and both vanish.
        using var sxz = fitter.SigmaXZ;
        double analytic = StreamingErasure.CrossCovarianceNormAfter(e, sxz);
        Assert.True(measured < 1e-10 && analytic < 1e-10, $"measured {measured:E2}, from statistics {analytic:E2}");
    }

    [Fact]
    public void Non_float_or_mismatched_inputs_are_clear_errors()
    {
        using var dir = new Fixture.TempDir();
        Npy.Write(dir.File("labels.npy"), zeros(10, 2, dtype: ScalarType.Int64));
        using var r = NpyReader.Open(dir.File("labels.npy"));
        Assert.Contains("float32 or float64", Assert.Throws<InvalidDataException>(() => StreamingErasure.Fit(r, zeros(10, dtype: ScalarType.Int64))).Message);
        Npy.Write(dir.File("x.npy"), zeros(10, 2));
        using var rx = NpyReader.Open(dir.File("x.npy"));
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => StreamingErasure.Fit(rx, zeros(9, dtype: ScalarType.Int64))).Message);
    }
}
