using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Data;

/// <summary>How <see cref="FashionMnist.Load"/> builds the data sets.</summary>
public sealed record FashionMnistOptions
{
    /// <summary>Plant the "spurious" concept: a bright 3×3 patch in the top-left corner. Default true.</summary>
    public bool PlantSpurious { get; init; } = true;
    /// <summary>The label subset the patch is correlated with (default footwear: sandal 5, sneaker 7, ankle boot 9).</summary>
    public IReadOnlyList<long> SpuriousClasses { get; init; } = FashionMnist.Footwear;
    /// <summary>P(patch = [label ∈ <see cref="SpuriousClasses"/>]) for each image; 0.5 makes the patch independent of the label,
    /// 1 makes it a copy of the label subset. Default 0.9.</summary>
    public double SpuriousAgreement { get; init; } = 0.9;
    /// <summary>Seed of the private generator that decides which images get the patch (train and test draw from separate streams).</summary>
    public long Seed { get; init; } = 0;
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017, arXiv:1708.07747; © 2017 Zalando SE, Expat licence, see
/// <c>data/fashion-mnist/LICENSE</c>): 60,000 training and 10,000 test 28×28 grey-scale images of 10 clothing classes
/// (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot), read natively
/// from the four original IDX files in <c>data/fashion-mnist/</c> (<see cref="Idx"/>).
/// X is float32 <c>[n, 784]</c> = pixel/255 ∈ [0, 1], the image flattened row-major (column 28·row + col), as digits' X is
/// <c>[n, 64]</c>; Y the class (int64). Concepts (int64 0/1 per image):
/// <list type="bullet">
/// <item><c>footwear</c>: label ∈ {5 sandal, 7 sneaker, 9 ankle boot} (30 % of the images).</item>
/// <item><c>upper</c>: upper-body garments, label ∈ {0 T-shirt/top, 2 pullover, 4 coat, 6 shirt} (40 %).</item>
/// <item><c>spurious</c> (when <see cref="FashionMnistOptions.PlantSpurious"/>): a planted feature. Each image draws u ~ U(0, 1)
///   from a private generator (train: stream 0, test: stream 1 of <see cref="FashionMnistOptions.Seed"/>); with
///   property = [label ∈ <see cref="FashionMnistOptions.SpuriousClasses"/>] (default footwear),
///   spurious = property if u &lt; agreement (default 0.9), else 1 − property. So P(spurious = footwear) = 0.9, and with footwear
///   at 30 %: P(spurious = 1) = 0.9·0.3 + 0.1·0.7 = 0.34, P(footwear | spurious) = 0.27/0.34 ≈ 0.79, P(footwear | no patch) = 0.03/0.66 ≈ 0.05;
///   the φ coefficient is ≈ 0.77. Images with spurious = 1 get the top-left 3×3 pixels (rows 0–2, cols 0–2; X columns
///   0–2, 28–30, 56–58) set to 1.0. Those pixels are dark in 96.6 % of the training images, so the patch is linearly decodable.</item>
/// </list>
/// The IDX files are decoded once per process (about 0.5 s); each <see cref="Load"/> builds fresh tensors (about 0.7 s with the patch).
/// </summary>
public static class FashionMnist
{
    /// <summary>Folder under <c>data/</c> holding the four IDX files and the licence.</summary>
    public const string Folder = "fashion-mnist";
    public const int Side = 28, Pixels = Side * Side, Classes = 10, TrainCount = 60_000, TestCount = 10_000;
    /// <summary>Class names by label.</summary>
    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    /// <summary>Labels of the footwear concept: sandal, sneaker, ankle boot.</summary>
    public static readonly long[] Footwear = [5, 7, 9];
    /// <summary>Labels of the upper-body concept: T-shirt/top, pullover, coat, shirt.</summary>
    public static readonly long[] UpperBody = [0, 2, 4, 6];
    /// <summary>Side of the square spurious patch in the top-left corner.</summary>
    public const int PatchSide = 3;
    /// <summary>X columns of the top-left 3×3 patch that carry the spurious mark.</summary>
    public static readonly long[] PatchPixels = [.. from r in Enumerable.Range(0, PatchSide) from c in Enumerable.Range(0, PatchSide) select (long)(r * Side + c)];

    sealed record Part(byte[] Images, byte[] Labels);
    static (Part Train, Part Test)? raw;
    static readonly object Gate = new();

    // Decoded once per process; a failure is not cached, so setting LLCLAB_DATA afterwards works.
    static (Part Train, Part Test) Raw() { lock (Gate) return raw ??= (ReadPart("train", TrainCount), ReadPart("t10k", TestCount)); }

    /// <summary>The official split: 60,000 training and 10,000 test images, with concepts footwear, upper and (by default) spurious.</summary>
    public static (Dataset Train, Dataset Test) Load(FashionMnistOptions? options = null)
    {
        var o = options ?? new FashionMnistOptions();
        if (o.PlantSpurious)
        {
            if (!(o.SpuriousAgreement >= 0 && o.SpuriousAgreement <= 1))
                throw new ArgumentException($"SpuriousAgreement must be in [0, 1], got {o.SpuriousAgreement}.");
            if (o.SpuriousClasses is null || o.SpuriousClasses.Count == 0 || o.SpuriousClasses.Any(c => c is < 0 or >= Classes))
                throw new ArgumentException($"SpuriousClasses must name at least one class label in 0..9, got [{string.Join(", ", o.SpuriousClasses ?? [])}].");
        }
        TorchRuntime.Initialize();
        var (train, test) = Raw();
        return (Build(train, o, 0, "fashion-mnist/train"), Build(test, o, 1, "fashion-mnist/test"));
    }

    static Dataset Build(Part p, FashionMnistOptions o, long stream, string name)
    {
        int n = p.Labels.Length;
        Tensor x;
        using (var bytes = tensor(p.Images, [n, Pixels])) x = bytes.to(ScalarType.Float32).div_(255f);
        var y = tensor(p.Labels, ScalarType.Byte).to(ScalarType.Int64);
        var concepts = new Dictionary<string, Tensor>
        {
            ["footwear"] = InClasses(y, Footwear),
            ["upper"] = InClasses(y, UpperBody),
        };
        if (o.PlantSpurious)
        {
            using var prop = InClasses(y, o.SpuriousClasses);
            using var g = Seeding.Generator(Seeding.Derive(o.Seed, stream));
            using var u = rand(n, generator: g, dtype: ScalarType.Float64);
            var s = where(u.lt(o.SpuriousAgreement), prop, 1 - prop);
            using var cols = tensor(PatchPixels);
            using var rows = s.to(ScalarType.Bool).nonzero().squeeze(1);
            // Set the patch of the marked rows to full brightness (in place, on the fresh tensor).
            using (var view = x.index_select(0, rows)) x.index_copy_(0, rows, view.index_fill_(1, cols, 1f));
            concepts["spurious"] = s;
        }
        return new Dataset(x, y, concepts, name);
    }

    static Tensor InClasses(Tensor y, IEnumerable<long> classes)
    {
        using var c = tensor(classes.ToArray(), ScalarType.Int64);
        return isin(y, c).to(ScalarType.Int64);
    }

    static Part ReadPart(string prefix, int expected)
    {
        var images = Idx.Read(DataFiles.Find($"{Folder}/{prefix}-images-idx3-ubyte.gz"), Idx.ImageMagic);
        var labels = Idx.Read(DataFiles.Find($"{Folder}/{prefix}-labels-idx1-ubyte.gz"), Idx.LabelMagic);
        if (images.Count != expected || images.Shape.Length != 3 || images.Shape[1] != Side || images.Shape[2] != Side)
            throw new InvalidDataException($"data/{Folder}/{prefix}-images-idx3-ubyte.gz should hold [{expected}, {Side}, {Side}] images, found [{string.Join(", ", images.Shape)}].");
        if (labels.Count != expected || labels.Shape.Length != 1)
            throw new InvalidDataException($"data/{Folder}/{prefix}-labels-idx1-ubyte.gz should hold {expected} labels, found shape [{string.Join(", ", labels.Shape)}].");
        if (labels.Data.Any(b => b >= Classes))
            throw new InvalidDataException($"data/{Folder}/{prefix}-labels-idx1-ubyte.gz has a label ≥ {Classes}.");
        return new Part(images.Data, labels.Data);
    }
}
