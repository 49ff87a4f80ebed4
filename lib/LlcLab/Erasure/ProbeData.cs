using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Validated, split probe data: float64 features, int64 labels, train/test rows.</summary>
internal sealed record ProbeData(Tensor XTrain, Tensor YTrain, Tensor XTest, Tensor YTest, int Classes)
{
    public static ProbeData Prepare(Tensor x, Tensor z, double testFraction, long seed, int? classes)
    {
        InputChecks.Features(x);
        InputChecks.SameRows(x, z, "x", "z");
        if (!ConceptLabels.IsCategorical(z) || z.dim() != 1)
            throw new ArgumentException("A probe needs integer class labels z [n] (int64/int32/bool); for continuous concepts threshold them first.");
        if (!(testFraction >= 0 && testFraction < 1)) throw new ArgumentException($"TestFraction must be in [0, 1) but is {testFraction}.");
        long n = x.shape[0];
        if (n < 4) throw new ArgumentException($"A probe needs at least 4 rows; got {n}.");
        int k = classes ?? ConceptLabels.ClassCount(z);
        var x64 = x.to_type(ScalarType.Float64);
        var y = z.to(ScalarType.Int64, x.device);
        if (y.max().item<long>() >= k || y.min().item<long>() < 0)
            throw new ArgumentException($"Labels must lie in 0..{k - 1}.");
        if (testFraction == 0) return new ProbeData(x64, y, x64, y, k);
        long nTest = Math.Clamp((long)Math.Round(n * testFraction), 1, n - 2);
        using var g = Seeding.Generator(seed);
        var perm = randperm(n, generator: g).to(x.device);
        var test = perm[..(int)nTest]; var train = perm[(int)nTest..];
        return new ProbeData(x64.index_select(0, train), y.index_select(0, train), x64.index_select(0, test), y.index_select(0, test), k);
    }

    public bool HasTest => !ReferenceEquals(XTrain, XTest);

    /// <summary>Majority-class rate of the evaluation labels.</summary>
    public double Chance() => LinearProbe.MajorityRate(YTest);
}
