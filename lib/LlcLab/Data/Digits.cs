using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Data;

/// <summary>How <see cref="Digits.Load"/> builds the data set.</summary>
public sealed record DigitsOptions
{
    /// <summary>Plant the "spurious" concept: a bright 2×2 mark in the top-left corner of the image. Default true.</summary>
    public bool PlantSpurious { get; init; } = true;
    /// <summary>The label property the mark is correlated with: <c>parity</c>, <c>ge5</c> or <c>loop</c>. Default <c>ge5</c>.</summary>
    public string SpuriousProperty { get; init; } = "ge5";
    /// <summary>P(mark = property) for each image; 0.5 makes the mark independent of the label, 1 makes it a copy. Default 0.9.</summary>
    public double SpuriousAgreement { get; init; } = 0.9;
    /// <summary>Seed of the private generator that decides which images get the mark.</summary>
    public long Seed { get; init; } = 0;
}

/// <summary>
/// The UCI optical handwritten digits (1,797 8×8 images, pixel values 0–16; Alpaydin &amp; Kaynak 1998,
/// CC BY 4.0), from <c>data/digits.csv.gz</c>. X is float32 <c>[1797, 64]</c> scaled to [0, 1]
/// (pixel/16, row-major), Y the digit (int64, 10 classes). Concepts (int64 0/1, <c>[1797]</c>):
/// <list type="bullet">
/// <item><c>parity</c>: 1 for odd digits.</item>
/// <item><c>ge5</c>: 1 for digits ≥ 5.</item>
/// <item><c>loop</c>: 1 for digits with a closed loop (0, 6, 8, 9).</item>
/// <item><c>spurious</c> (when <see cref="DigitsOptions.PlantSpurious"/>): a planted feature. For each image
///   a uniform draw u from a private generator (<see cref="DigitsOptions.Seed"/>) sets
///   spurious = property if u &lt; agreement, else 1 − property (property = <see cref="DigitsOptions.SpuriousProperty"/>);
///   images with spurious = 1 get pixels (0,0), (0,1), (1,0), (1,1) — X columns 0, 1, 8, 9 — set to 1.0
///   (full brightness; these corner pixels are almost always dark in the original data).</item>
/// </list>
/// </summary>
public static class Digits
{
    public const string FileName = "digits.csv.gz";
    public const int Pixels = 64;
    /// <summary>X columns of the top-left 2×2 corner that carry the spurious mark.</summary>
    public static readonly long[] MarkPixels = [0, 1, 8, 9];

    static (float[] X, long[] Y)? raw;
    static readonly object Gate = new();

    // Parsed once per process; a failure is not cached, so setting LLCLAB_DATA afterwards works.
    static (float[] X, long[] Y) Raw() { lock (Gate) return raw ??= ReadRaw(); }

    /// <summary>Loads the digits with concepts parity, ge5, loop and (by default) the planted spurious mark.</summary>
    public static Dataset Load(DigitsOptions? options = null)
    {
        var o = options ?? new DigitsOptions();
        TorchRuntime.Initialize();
        var (xs, ys) = Raw();
        int n = ys.Length;
        var x = tensor(xs, [n, Pixels]);
        var y = tensor(ys, ScalarType.Int64);
        var concepts = new Dictionary<string, Tensor>
        {
            ["parity"] = y.remainder(2),
            ["ge5"] = y.ge(5).to(ScalarType.Int64),
            ["loop"] = isin(y, tensor(new long[] { 0, 6, 8, 9 })).to(ScalarType.Int64),
        };
        if (o.PlantSpurious)
        {
            if (!concepts.TryGetValue(o.SpuriousProperty, out var prop))
                throw new ArgumentException($"SpuriousProperty '{o.SpuriousProperty}' is unknown; use parity, ge5 or loop.");
            if (!(o.SpuriousAgreement >= 0 && o.SpuriousAgreement <= 1))
                throw new ArgumentException($"SpuriousAgreement must be in [0, 1], got {o.SpuriousAgreement}.");
            using var g = Seeding.Generator(o.Seed);
            using var u = rand(n, generator: g, dtype: ScalarType.Float64);
            var s = where(u.lt(o.SpuriousAgreement), prop, 1 - prop);
            using var mark = s.to(ScalarType.Bool).unsqueeze(1) & zeros(1, Pixels, dtype: ScalarType.Bool).index_fill_(1, tensor(MarkPixels), true);
            x = x.masked_fill(mark, 1.0f);
            concepts["spurious"] = s;
        }
        return new Dataset(x, y, concepts, "digits");
    }

    static (float[], long[]) ReadRaw()
    {
        var path = DataFiles.Find(FileName);
        var (_, rows) = Dataset.ReadNumericCsv(path, header: false);
        if (rows.Count != 1797 || rows[0].Length != Pixels + 1)
            throw new InvalidDataException($"'{path}' should hold 1797 rows of 64 pixels and a label; found {rows.Count} rows of {rows[0].Length} fields.");
        var x = new float[rows.Count * Pixels];
        var y = new long[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            for (int j = 0; j < Pixels; j++) x[i * Pixels + j] = (float)(rows[i][j] / 16.0);
            y[i] = (long)rows[i][Pixels];
        }
        return (x, y);
    }
}
