using LlcLab.Erasure;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class EraserFileTests
{
    [Theory]
    [InlineData(".json")]
    [InlineData(".safetensors")]
    public void Saved_erasers_round_trip_exactly(string ext)
    {
        var (x, y) = Gaussian(300, 5, 3, seed: 51);
        var dir = Directory.CreateTempSubdirectory("llclab-eraser-");
        try
        {
            using var e = Leace.Fit(x, y);
            var path = Path.Combine(dir.FullName, "e" + ext);
            EraserFile.Save(path, e);
            Assert.Equal("leace", EraserFile.ReadMethod(path));
            using var back = EraserFile.Load(path);
            Assert.Equal(0.0, MaxAbs(back.Apply(x) - e.Apply(x)));
            using var oracle = OracleEraser.Fit(x, y);
            var op = Path.Combine(dir.FullName, "o" + ext);
            EraserFile.Save(op, oracle);
            using var ob = EraserFile.LoadOracle(op);
            Assert.Equal(0.0, MaxAbs(ob.Apply(x, y) - oracle.Apply(x, y)));
            Assert.Contains("LoadOracle", Assert.Throws<InvalidDataException>(() => EraserFile.Load(op)).Message);
            // A rank-0 eraser (concept uncorrelated with x) also round-trips.
            using var id = new AffineEraser("orth", zeros(5, 0, dtype: ScalarType.Float64), zeros(0, 5, dtype: ScalarType.Float64), zeros(5, dtype: ScalarType.Float64));
            EraserFile.Save(path, id);
            using var idBack = EraserFile.Load(path);
            Assert.Equal(0, idBack.Rank);
            Assert.Equal(0.0, MaxAbs(idBack.Apply(x) - x));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Missing_file_names_the_fix()
    {
        var e = Assert.Throws<FileNotFoundException>(() => EraserFile.Load("/nonexistent/e.json"));
        Assert.Contains("--save-eraser", e.Message);
    }
}
