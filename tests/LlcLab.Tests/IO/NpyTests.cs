using LlcLab.IO;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.IO;

public class NpyTests
{
    static string F(string name) => Fixture.Path("IO", name);

    [Fact]
    public void Reads_numpy_float32_matrix()
    {
        using var t = Npy.Read(F("f32_2x3.npy"));
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(new[] { 0.5f, -1.25f, 3.0f, 1e-3f, 2.5e6f, -0.0f }, t.data<float>().ToArray());
    }

    [Fact]
    public void Reads_every_numpy_dtype_with_exact_values()
    {
        using (var t = Npy.Read(F("f64_vec5.npy")))
        {
            Assert.Equal(ScalarType.Float64, t.dtype);
            Assert.Equal(new[] { 0.1, -2.5, 1e-300, 123456789.125, Math.PI }, t.data<double>().ToArray());
        }
        using (var t = Npy.Read(F("i64_3x2x2.npy")))
        {
            Assert.Equal(ScalarType.Int64, t.dtype);
            Assert.Equal(new long[] { 3, 2, 2 }, t.shape);
            Assert.Equal(Enumerable.Range(0, 12).Select(i => (i - 6) * 1_000_000_007L), t.data<long>().ToArray());
        }
        using (var t = Npy.Read(F("i32_4.npy")))
        {
            Assert.Equal(ScalarType.Int32, t.dtype);
            Assert.Equal(new[] { int.MinValue, -1, 0, int.MaxValue }, t.data<int>().ToArray());
        }
        using (var t = Npy.Read(F("u8_2x2.npy")))
        {
            Assert.Equal(ScalarType.Byte, t.dtype);
            Assert.Equal(new byte[] { 0, 1, 128, 255 }, t.data<byte>().ToArray());
        }
        using (var t = Npy.Read(F("bool_5.npy")))
        {
            Assert.Equal(ScalarType.Bool, t.dtype);
            Assert.Equal(new[] { true, false, false, true, true }, t.data<bool>().ToArray());
        }
        using (var t = Npy.Read(F("f64_scalar.npy")))
        {
            Assert.Empty(t.shape);
            Assert.Equal(2.75, t.item<double>());
        }
        using (var t = Npy.Read(F("f32_empty_0x4.npy")))
            Assert.Equal(new long[] { 0, 4 }, t.shape);
    }

    [Theory]
    [InlineData("f32_v2_2x3.npy")]
    [InlineData("f32_v3_2x3.npy")]
    public void Reads_version_2_and_3_headers(string name)
    {
        Assert.Equal(name.Contains("v2") ? 2 : 3, File.ReadAllBytes(F(name))[6]);
        using var t = Npy.Read(F(name));
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5 }, t.data<float>().ToArray());
    }

    [Fact]
    public void Big_endian_input_is_byte_swapped()
    {
        using var t = Npy.Read(F("f64_bigendian_3.npy"));
        Assert.Equal(new[] { 1.5, -2.0, 1e10 }, t.data<double>().ToArray());
    }

    [Fact]
    public void Fortran_order_is_a_clear_error()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(F("f32_fortran_2x3.npy")));
        Assert.Contains("Fortran", e.Message);
        Assert.Contains("ascontiguousarray", e.Message);
    }

    [Theory]
    [InlineData("f32_2x3.npy")]
    [InlineData("f64_vec5.npy")]
    [InlineData("i64_3x2x2.npy")]
    [InlineData("i32_4.npy")]
    [InlineData("u8_2x2.npy")]
    [InlineData("bool_5.npy")]
    [InlineData("f64_scalar.npy")]
    [InlineData("f32_empty_0x4.npy")]
    public void Writer_bytes_equal_numpy_save(string name)
    {
        var numpyBytes = File.ReadAllBytes(F(name));
        using var t = Npy.Read(F(name));
        Assert.Equal(numpyBytes, Npy.ToBytes(t));
    }

    [Fact]
    public void Writer_bytes_equal_numpy_for_tensors_built_here()
    {
        // Same values as make_fixtures.py, built independently of the reader.
        using var t = tensor(new[] { 0.5f, -1.25f, 3.0f, 1e-3f, 2.5e6f, -0.0f }, [2, 3]);
        Assert.Equal(File.ReadAllBytes(F("f32_2x3.npy")), Npy.ToBytes(t));
        using var i = (arange(12, dtype: ScalarType.Int64).reshape(3, 2, 2) - 6) * 1_000_000_007L;
        Assert.Equal(File.ReadAllBytes(F("i64_3x2x2.npy")), Npy.ToBytes(i));
    }

    [Fact]
    public void Round_trips_through_a_file_including_views_and_large_headers()
    {
        using var dir = new Fixture.TempDir();
        using var g = new Generator(5);
        using var a = randn([7, 5], generator: g);
        using var view = a.t(); // non-contiguous view → written in C order of its logical shape
        Npy.Write(dir.File("v.npy"), view);
        using var back = Npy.Read(dir.File("v.npy"));
        Assert.True(back.eq(view).all().item<bool>());

        // > 65535-byte header is impossible for plain arrays, but many dims make long headers: still v1, 64-aligned.
        using var many = zeros([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], dtype: ScalarType.Float64);
        var bytes = Npy.ToBytes(many);
        Assert.Equal(0, (bytes.Length - 16) % 64);
        using var m2 = Npy.FromBytes(bytes);
        Assert.Equal(many.shape, m2.shape);
    }

    [Fact]
    public void Bad_files_are_clear_errors()
    {
        using var dir = new Fixture.TempDir();
        File.WriteAllText(dir.File("x.npy"), "hello world, not numpy");
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Npy.Read(dir.File("x.npy"))).Message);
        Assert.Throws<FileNotFoundException>(() => Npy.Read(dir.File("missing.npy")));
        var truncated = File.ReadAllBytes(F("f32_2x3.npy"))[..^4];
        Assert.Contains("needs", Assert.Throws<InvalidDataException>(() => Npy.FromBytes(truncated)).Message);
        using var c = zeros(2, dtype: ScalarType.ComplexFloat32);
        Assert.Throws<ArgumentException>(() => Npy.ToBytes(c));
    }
}
