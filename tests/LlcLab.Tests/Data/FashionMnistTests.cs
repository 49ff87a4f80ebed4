using System.Diagnostics;
using System.IO.Compression;
using LlcLab.Data;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Data;

public class FashionMnistTests(ITestOutputHelper output)
{
    [Fact]
    public void Loads_the_official_split_scaled_to_0_1_fast()
    {
        var sw = Stopwatch.StartNew();
        FashionMnist.Load(new FashionMnistOptions { PlantSpurious = false }); // decodes the files (once per process) unless another test did
        output.WriteLine($"first Load(): {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();
        var (train, test) = FashionMnist.Load();
        sw.Stop();
        output.WriteLine($"Load() with the files decoded: {sw.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(new long[] { 60_000, 784 }, train.X.shape);
        Assert.Equal(new long[] { 10_000, 784 }, test.X.shape);
        Assert.Equal(ScalarType.Float32, train.X.dtype);
        Assert.Equal(10, train.NumClasses);
        Assert.Equal(Enumerable.Repeat(6000L, 10), train.Y.bincount(null, 10).data<long>().ToArray());
        Assert.Equal(Enumerable.Repeat(1000L, 10), test.Y.bincount(null, 10).data<long>().ToArray());
        Assert.Equal(0f, train.X.min().item<float>());
        Assert.Equal(1f, train.X.max().item<float>());
        // The first training image is an ankle boot (label 9), the first test image too (the dataset's README figure).
        Assert.Equal(9, train.Y[0].item<long>());
        Assert.Equal(9, test.Y[0].item<long>());
        // ≈ 0.7 s on an idle 2-core machine; the bound is loose because CI shares the cores, and only catches a pathological
        // regression (e.g. per-pixel tensor writes, which take minutes).
        Assert.True(sw.Elapsed.TotalSeconds < 20, $"building the tensors took {sw.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    public void Concepts_follow_their_definitions_and_the_patch_the_stated_correlation()
    {
        var (clean, _) = FashionMnist.Load(new FashionMnistOptions { PlantSpurious = false });
        var (train, test) = FashionMnist.Load(new FashionMnistOptions { Seed = 5 });
        var y = train.Y.data<long>().ToArray();
        Assert.Equal(y.Select(v => v is 5 or 7 or 9 ? 1L : 0L), train.Concept("footwear").data<long>().ToArray());
        Assert.Equal(y.Select(v => v is 0 or 2 or 4 or 6 ? 1L : 0L), train.Concept("upper").data<long>().ToArray());
        var s = train.Concept("spurious");
        double agree = s.eq(train.Concept("footwear")).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(agree, 0.9 - 0.006, 0.9 + 0.006); // binomial sd ≈ 0.0012
        double rate = s.to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(rate, 0.34 - 0.008, 0.34 + 0.008);
        var marked = s.to(ScalarType.Bool);
        using var cols = tensor(FashionMnist.PatchPixels);
        Assert.True(train.X.index_select(1, cols)[marked].eq(1f).all().all().item<bool>());
        var rest = Enumerable.Range(0, 784).Where(i => !FashionMnist.PatchPixels.Contains(i)).Select(i => (long)i).ToArray();
        using var restCols = tensor(rest);
        Assert.True(train.X.index_select(1, restCols).equal(clean.X.index_select(1, restCols)).all().item<bool>());
        Assert.True(train.X[marked.logical_not()].equal(clean.X[marked.logical_not()]).all().item<bool>());
        // Seeded, and train/test draw different streams.
        Assert.True(FashionMnist.Load(new FashionMnistOptions { Seed = 5 }).Train.Concept("spurious").equal(s).all().item<bool>());
        Assert.False(FashionMnist.Load(new FashionMnistOptions { Seed = 6 }).Train.Concept("spurious").equal(s).all().item<bool>());
        Assert.False(test.Concept("spurious").equal(s[..10_000]).all().item<bool>());
        Assert.Throws<ArgumentException>(() => FashionMnist.Load(new FashionMnistOptions { SpuriousClasses = [10] }));
        Assert.Throws<ArgumentException>(() => FashionMnist.Load(new FashionMnistOptions { SpuriousAgreement = 1.5 }));
    }

    [Fact]
    public void Idx_reader_checks_magic_truncation_and_trailing_bytes()
    {
        static byte[] Header(params int[] words) => words.SelectMany(w => BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(w))).ToArray();
        var ok = Header(Idx.ImageMagic, 2, 2, 2).Concat(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }).ToArray();
        var a = Idx.Read(new MemoryStream(ok), "ok", Idx.ImageMagic);
        Assert.Equal(new[] { 2, 2, 2 }, a.Shape);
        Assert.Equal(4, a.ItemSize);
        Assert.Equal(8, a.Data[^1]);
        Assert.Contains("labels", Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(ok), "x", Idx.LabelMagic)).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(ok[..^1]), "x")).Message);
        Assert.Contains("after", Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([.. ok, 0]), "x")).Message);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([0x1f, 0x8b, 8, 0, 0, 0]), "x")).Message);
        Assert.Contains("0x0D", Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(Header(0x0D01, 1)), "x")).Message);
        // A .gz name is decompressed; a plain file named .gz is refused with the reason.
        var dir = Directory.CreateTempSubdirectory("idx");
        try
        {
            var gz = Path.Combine(dir.FullName, "a-idx3-ubyte.gz");
            using (var f = File.Create(gz)) using (var z = new GZipStream(f, CompressionLevel.Fastest)) z.Write(ok);
            Assert.Equal(a.Data, Idx.Read(gz, Idx.ImageMagic).Data);
            var fake = Path.Combine(dir.FullName, "b.gz");
            File.WriteAllBytes(fake, ok);
            Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => Idx.Read(fake)).Message);
        }
        finally { dir.Delete(true); }
    }
}
