using LlcLab.IO;
using LlcLab.Models;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.IO;

public class SafeTensorsTests
{
    static string F(string name) => Fixture.Path("IO", name);

    [Fact]
    public void Reads_a_pytorch_sequential_state_dict_and_loads_it_into_a_network()
    {
        var (tensors, meta) = SafeTensors.ReadWithMetadata(F("mlp_4_3_2.safetensors"));
        Assert.Equal("pt", meta["format"]);
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], tensors.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var w0 = tensors["0.weight"];
        Assert.Equal(new long[] { 3, 4 }, w0.shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (i - 5.5f) / 8), w0.data<float>().ToArray());
        Assert.Equal(new[] { 0.1f, -0.2f, 0.3f }, tensors["0.bias"].data<float>().ToArray());

        using var net = Network.Create(meta["spec"], device: CPU);
        net.LoadStateDict(tensors);
        // f(x) = W2 relu(W0 x + b0) + b2 computed by hand for x = 1.
        using var x = ones(1, 4);
        using var h = nn.functional.relu(x.matmul(tensors["0.weight"].t()) + tensors["0.bias"]);
        using var expected = h.matmul(tensors["2.weight"].t()) + tensors["2.bias"];
        Assert.True(allclose(net.Forward(x), expected));
    }

    [Fact]
    public void Writer_bytes_equal_the_reference_layout()
    {
        var (tensors, meta) = SafeTensors.ReadWithMetadata(F("mlp_4_3_2.safetensors"));
        var bytes = SafeTensors.ToBytes(tensors, new Dictionary<string, string> { ["format"] = "pt", ["spec"] = "mlp:4-3-2:relu" });
        Assert.Equal(File.ReadAllBytes(F("mlp_4_3_2.safetensors")), bytes);
    }

    [Fact]
    public void Reads_every_dtype()
    {
        var t = SafeTensors.Read(F("dtypes.safetensors"));
        Assert.Equal(ScalarType.Float64, t["f64"].dtype);
        Assert.Equal(new[] { 0.1, -2.5, 1e-300, 7.0 }, t["f64"].data<double>().ToArray());
        Assert.Equal(new[] { -(1L << 62), 0, 1L << 62 }, t["i64"].data<long>().ToArray());
        Assert.Equal(new[] { -7, 7 }, t["i32"].data<int>().ToArray());
        Assert.Equal(new byte[] { 0, 200, 255 }, t["u8"].data<byte>().ToArray());
        Assert.Equal(new[] { true, false, true }, t["bool"].data<bool>().ToArray());
        Assert.Equal(ScalarType.Float16, t["f16"].dtype);
        Assert.Equal(new[] { 0.5f, -1.5f, 65504f }, t["f16"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(ScalarType.BFloat16, t["bf16"].dtype);
        Assert.Equal(new[] { 1.0f, -2.5f, 0.15625f, 32768f }, t["bf16"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Empty(t["scalar"].shape);
        Assert.Equal(3.5f, t["scalar"].item<float>());
    }

    [Fact]
    public void Round_trips_all_dtypes_with_metadata()
    {
        using var dir = new Fixture.TempDir();
        var original = SafeTensors.Read(F("dtypes.safetensors"));
        SafeTensors.Write(dir.File("r.safetensors"), original, new Dictionary<string, string> { ["note"] = "a \"quoted\" value ü" });
        var (back, meta) = SafeTensors.ReadWithMetadata(dir.File("r.safetensors"));
        Assert.Equal("a \"quoted\" value ü", meta["note"]);
        Assert.Equal(original.Keys.OrderBy(k => k), back.Keys.OrderBy(k => k));
        foreach (var (k, v) in original)
        {
            Assert.Equal(v.dtype, back[k].dtype);
            Assert.Equal(v.shape, back[k].shape);
            Assert.True(back[k].eq(v).all().item<bool>(), k);
        }
        var header = File.ReadAllBytes(dir.File("r.safetensors"));
        Assert.Equal(0UL, BitConverter.ToUInt64(header, 0) % 8);
    }

    [Fact]
    public void Corrupt_files_are_clear_errors()
    {
        using var dir = new Fixture.TempDir();
        var good = File.ReadAllBytes(F("mlp_4_3_2.safetensors"));
        File.WriteAllBytes(dir.File("short.safetensors"), good[..^8]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(dir.File("short.safetensors")));
        Assert.Contains("data_offsets", e.Message);
        File.WriteAllBytes(dir.File("junk.safetensors"), [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(dir.File("junk.safetensors")));
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(dir.File("nope.safetensors")));
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new Dictionary<string, Tensor> { ["__metadata__"] = zeros(1) }));
    }
}
