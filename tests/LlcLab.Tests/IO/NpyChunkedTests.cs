using System.Text;
using LlcLab.IO;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.IO;

/// <summary>Chunked .npy access: <see cref="NpyReader"/> (memory-mapped, validated header) and <see cref="NpyWriter"/> (atomic).</summary>
public class NpyChunkedTests
{
    static Tensor Data(long n, long d, ScalarType t)
    {
        using var g = LlcLab.Runtime.Seeding.Generator(3);
        using var x = randn([n, d], dtype: ScalarType.Float64, generator: g);
        return x.to_type(t);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1)]
    [InlineData(ScalarType.Float32, 7)]
    [InlineData(ScalarType.Float64, 100)]
    [InlineData(ScalarType.Float64, 1000)]
    public void Chunks_written_and_read_equal_the_whole_array_and_numpy_bytes(ScalarType dtype, long rowsPerChunk)
    {
        using var dir = new Fixture.TempDir();
        using var x = Data(253, 5, dtype);
        using (var w = new NpyWriter(dir.File("x.npy"), dtype, x.shape))
        {
            for (long s = 0; s < 253; s += rowsPerChunk) w.Write(x.narrow(0, s, Math.Min(rowsPerChunk, 253 - s)));
            w.Commit();
        }
        Assert.Equal(Npy.ToBytes(x), File.ReadAllBytes(dir.File("x.npy")));
        using var r = NpyReader.Open(dir.File("x.npy"));
        Assert.Equal(new long[] { 253, 5 }, r.Shape);
        Assert.Equal(dtype, r.DType);
        long next = 0;
        r.ForEachChunk(rowsPerChunk, (start, rows) =>
        {
            Assert.Equal(next, start);
            Assert.True(rows.shape[0] <= rowsPerChunk);
            Assert.True(x.narrow(0, start, rows.shape[0]).eq(rows).all().item<bool>(), $"rows {start}… differ");
            next += rows.shape[0];
        });
        Assert.Equal(253, next);
        using var mid = r.ReadRows(100, 3);
        Assert.True(x.narrow(0, 100, 3).eq(mid).all().item<bool>());
    }

    [Fact]
    public void Reads_numpy_fixtures_in_every_header_version()
    {
        foreach (var f in new[] { "f32_2x3.npy", "f32_v2_2x3.npy", "f32_v3_2x3.npy" })
        {
            using var r = NpyReader.Open(Fixture.Path("IO", f));
            using var all = r.ReadRows(0, r.Rows);
            using var whole = Npy.Read(Fixture.Path("IO", f));
            Assert.True(whole.eq(all).all().item<bool>(), f);
        }
    }

    static string Header(string dict, int version = 1)
    {
        var body = Encoding.Latin1.GetBytes(dict + "\n");
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 };
        if (version == 1) bytes.AddRange(BitConverter.GetBytes((ushort)body.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)body.Length));
        bytes.AddRange(body);
        return Convert.ToBase64String(bytes.ToArray());
    }

    [Theory]
    [InlineData("magic", "\\x93NUMPY")]
    [InlineData("version", "version 9.0")]
    [InlineData("truncated", "truncated")]
    [InlineData("fortran", "Fortran")]
    [InlineData("dtype", "Unsupported .npy dtype '<c16'")]
    [InlineData("noshape", "Malformed .npy header")]
    [InlineData("scalar", "0-d scalar")]
    public void Bad_headers_are_rejected_naming_the_file_and_the_fix(string kind, string expected)
    {
        using var dir = new Fixture.TempDir();
        var path = dir.File(kind + ".npy");
        byte[] data = kind switch
        {
            "magic" => Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip, not an array"),
            "version" => Convert.FromBase64String(Header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 9)),
            // The header promises 4 × 3 float32 (48 bytes) but only 8 follow.
            "truncated" => [.. Convert.FromBase64String(Header("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }")), .. new byte[8]],
            "fortran" => [.. Convert.FromBase64String(Header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }")), .. new byte[16]],
            "dtype" => [.. Convert.FromBase64String(Header("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }")), .. new byte[64]],
            "noshape" => Convert.FromBase64String(Header("{'descr': '<f4', 'fortran_order': False, }")),
            _ => [.. Convert.FromBase64String(Header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }")), .. new byte[8]],
        };
        File.WriteAllBytes(path, data);
        var e = Assert.Throws<InvalidDataException>(() => NpyReader.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void An_uncommitted_or_short_write_leaves_the_previous_file_and_no_temporaries()
    {
        using var dir = new Fixture.TempDir();
        var path = dir.File("out.npy");
        File.WriteAllText(path, "previous");
        using var x = Data(10, 3, ScalarType.Float32);
        using (var w = new NpyWriter(path, ScalarType.Float32, [10, 3]))
        {
            w.Write(x.narrow(0, 0, 4));
            Assert.Contains("4 of the declared 10", Assert.Throws<InvalidOperationException>(() => w.Commit()).Message);
            Assert.Throws<ArgumentException>(() => w.Write(x.to_type(ScalarType.Float64)));
            Assert.Throws<ArgumentException>(() => w.Write(zeros(2, 4, dtype: ScalarType.Float32)));
        }
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void AtomicFile_WriteVia_renames_what_the_producer_wrote_and_cleans_up_on_failure()
    {
        using var dir = new Fixture.TempDir();
        var path = dir.File("chart.png");
        AtomicFile.WriteVia(path, tmp => File.WriteAllText(tmp, "png"));
        Assert.Equal("png", File.ReadAllText(path));
        Assert.Throws<IOException>(() => AtomicFile.WriteVia(path, _ => { }));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteVia(path, tmp => { File.WriteAllText(tmp, "half"); throw new InvalidOperationException("boom"); }));
        Assert.Equal("png", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Root));
    }
}
