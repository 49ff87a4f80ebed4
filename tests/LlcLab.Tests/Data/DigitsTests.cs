using LlcLab.Data;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Data;

public class DigitsTests
{
    [Fact]
    public void Loads_1797_images_of_64_pixels_in_0_1_with_10_classes()
    {
        var d = Digits.Load(new DigitsOptions { PlantSpurious = false });
        Assert.Equal(1797, d.Count);
        Assert.Equal(new long[] { 1797, 64 }, d.X.shape);
        Assert.Equal(ScalarType.Float32, d.X.dtype);
        Assert.Equal(10, d.NumClasses);
        Assert.True(d.X.min().item<float>() >= 0 && d.X.max().item<float>() == 1f);
        // First two rows of the file: "0,0,5,13,9,1,…,0" (digit 0) and "0,0,0,12,13,5,…,1" (digit 1).
        Assert.Equal(new[] { 0f, 0f, 5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f }, d.X[0, ..6].data<float>().ToArray());
        Assert.Equal(new long[] { 0, 1 }, d.Y[..2].data<long>().ToArray());
        // Every class is present with 174–183 images (UCI test part).
        var counts = d.Y.bincount(null, 10).data<long>().ToArray();
        Assert.All(counts, c => Assert.InRange(c, 170, 185));
        Assert.Throws<ArgumentException>(() => d.Concept("spurious"));
    }

    [Fact]
    public void Label_concepts_follow_their_definitions()
    {
        var d = Digits.Load();
        var y = d.Y.data<long>().ToArray();
        Assert.Equal(y.Select(v => v % 2), d.Concept("parity").data<long>().ToArray());
        Assert.Equal(y.Select(v => v >= 5 ? 1L : 0L), d.Concept("ge5").data<long>().ToArray());
        Assert.Equal(y.Select(v => v is 0 or 6 or 8 or 9 ? 1L : 0L), d.Concept("loop").data<long>().ToArray());
        double loopRate = d.Concept("loop").to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(loopRate, 0.38, 0.42); // 4 of 10 balanced classes
    }

    [Fact]
    public void Spurious_mark_agrees_with_its_property_at_the_stated_rate_and_is_in_X()
    {
        var clean = Digits.Load(new DigitsOptions { PlantSpurious = false });
        var d = Digits.Load(new DigitsOptions { SpuriousAgreement = 0.9, SpuriousProperty = "ge5", Seed = 3 });
        var s = d.Concept("spurious");
        double agree = s.eq(d.Concept("ge5")).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(agree, 0.9 - 0.03, 0.9 + 0.03); // binomial sd ≈ 0.007
        var marked = s.to(ScalarType.Bool);
        var corner = d.X.index_select(1, tensor(Digits.MarkPixels));
        Assert.True(corner[marked].eq(1f).all().item<bool>());
        Assert.True(corner[marked.logical_not()].equal(clean.X.index_select(1, tensor(Digits.MarkPixels))[marked.logical_not()]).all().item<bool>());
        var rest = Enumerable.Range(0, 64).Where(i => !Digits.MarkPixels.Contains(i)).Select(i => (long)i).ToArray();
        Assert.True(d.X.index_select(1, tensor(rest)).equal(clean.X.index_select(1, tensor(rest))).all().item<bool>());
        // Deterministic for a seed; another seed marks other images.
        Assert.True(Digits.Load(new DigitsOptions { Seed = 3 }).Concept("spurious").equal(s).all().item<bool>());
        Assert.False(Digits.Load(new DigitsOptions { Seed = 4 }).Concept("spurious").equal(s).all().item<bool>());
        Assert.Throws<ArgumentException>(() => Digits.Load(new DigitsOptions { SpuriousProperty = "prime" }));
    }

    [Fact]
    public void Data_folder_not_found_names_the_fix()
    {
        var saved = Environment.CurrentDirectory;
        var e = Assert.Throws<FileNotFoundException>(() => DataFiles.Find("no-such-file.csv"));
        Assert.Contains(DataFiles.EnvironmentVariable, e.Message);
        Assert.Contains("parents", e.Message);
        Assert.EndsWith(Path.Combine("data", "digits.csv.gz"), DataFiles.Find(Digits.FileName));
        Assert.Equal(saved, Environment.CurrentDirectory);
    }
}
