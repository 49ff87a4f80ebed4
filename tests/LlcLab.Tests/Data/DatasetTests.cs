using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Tests.IO;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Data;

public class DatasetTests
{
    static Dataset Toy(int n = 100) =>
        new(arange(n * 2, dtype: ScalarType.Float32).reshape(n, 2), arange(n, dtype: ScalarType.Int64).remainder(4),
            new Dictionary<string, Tensor> { ["odd"] = arange(n, dtype: ScalarType.Int64).remainder(2) }, "toy");

    static long[] Ids(Dataset d) => d.X[.., 0].div(2).to(ScalarType.Int64).data<long>().ToArray();

    [Fact]
    public void Split_is_deterministic_disjoint_complete_and_stratified()
    {
        var d = Digits.Load();
        var (tr, te) = d.Split(0.25, seed: 7);
        var (tr2, te2) = d.Split(0.25, seed: 7);
        Assert.True(tr.X.equal(tr2.X).all().item<bool>() && te.Y.equal(te2.Y).all().item<bool>());
        Assert.Equal(d.Count, tr.Count + te.Count);
        Assert.InRange(te.Count, 0.25 * d.Count - 10, 0.25 * d.Count + 10);
        // Stratified: each class's test share is within one example of 25%.
        var all = d.Y.bincount(null, 10).data<long>().ToArray();
        var inTest = te.Y.bincount(null, 10).data<long>().ToArray();
        for (int c = 0; c < 10; c++) Assert.InRange(inTest[c], Math.Floor(all[c] * 0.25) - 1, Math.Ceiling(all[c] * 0.25) + 1);
        Assert.Equal(d.ConceptNames.OrderBy(x => x), te.ConceptNames.OrderBy(x => x));

        var toy = Toy();
        var (a, b) = toy.Split(0.3, seed: 1, stratify: false);
        var ia = Ids(a); var ib = Ids(b);
        Assert.Empty(ia.Intersect(ib));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), ia.Concat(ib).OrderBy(i => i));
        Assert.Equal(30, b.Count);
        Assert.NotEqual(ib, Ids(toy.Split(0.3, seed: 2, stratify: false).Test));
        // Concepts travel with their rows.
        Assert.Equal(ib.Select(i => i % 2), b.Concept("odd").data<long>().ToArray());
    }

    [Fact]
    public void Forget_retain_by_class_and_by_concept()
    {
        var toy = Toy();
        var (f, r) = toy.ForgetRetainByClass(1, 3);
        Assert.True(f.Y.remainder(2).eq(1).all().item<bool>());
        Assert.True(r.Y.remainder(2).eq(0).all().item<bool>());
        Assert.Equal(100, f.Count + r.Count);
        var (fc, rc) = Digits.Load().ForgetRetainByConcept("loop");
        Assert.True(fc.Concept("loop").eq(1).all().item<bool>() && rc.Concept("loop").eq(0).all().item<bool>());
        Assert.Throws<ArgumentException>(() => toy.ForgetRetainByClass(9));
        Assert.Contains("odd", Assert.Throws<ArgumentException>(() => toy.Concept("nope")).Message);
    }

    [Fact]
    public void Subset_keeps_order_and_checks_range()
    {
        var s = Toy().Subset([5, 2, 9]);
        Assert.Equal(new long[] { 5, 2, 9 }, Ids(s));
        Assert.Equal(new long[] { 1, 0, 1 }, s.Concept("odd").data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => Toy().Subset([100]));
    }

    [Fact]
    public void Bad_shapes_and_dtypes_are_clear_errors()
    {
        Assert.Contains("first", Assert.Throws<ArgumentException>(() => new Dataset(zeros(3, 2), zeros(4, dtype: ScalarType.Int64))).Message);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => new Dataset(zeros(3, 2, dtype: ScalarType.Float64), zeros(3, dtype: ScalarType.Int64))).Message);
        Assert.Contains("'c'", Assert.Throws<ArgumentException>(() => new Dataset(zeros(3, 2), zeros(3, dtype: ScalarType.Int64),
            new Dictionary<string, Tensor> { ["c"] = zeros(2, dtype: ScalarType.Int64) })).Message);
        Assert.Throws<ArgumentException>(() => Toy().Split(1.5));
    }

    [Fact]
    public void Loads_npy_pairs_and_csv_files()
    {
        using var dir = new Fixture.TempDir();
        Npy.Write(dir.File("x.npy"), arange(12, dtype: ScalarType.Float64).reshape(4, 3));
        Npy.Write(dir.File("y.npy"), tensor(new[] { 0, 1, 1, 2 }, ScalarType.Int32));
        var d = Dataset.FromNpy(dir.File("x.npy"), dir.File("y.npy"));
        Assert.Equal(ScalarType.Float32, d.X.dtype);
        Assert.Equal(ScalarType.Int64, d.Y.dtype);
        Assert.Equal(3, d.NumClasses);
        Assert.Equal(11f, d.X[3, 2].item<float>());
        Npy.Write(dir.File("y5.npy"), zeros(5, dtype: ScalarType.Int64));
        Assert.Contains("4 rows", Assert.Throws<InvalidDataException>(() => Dataset.FromNpy(dir.File("x.npy"), dir.File("y5.npy"))).Message);

        File.WriteAllText(dir.File("d.csv"), "a,label,b\n1.5,0,2\n-1,1,3e2\n0,1,4\n");
        var c = Dataset.FromCsv(dir.File("d.csv"), labelColumn: "label");
        Assert.Equal(new long[] { 3, 2 }, c.X.shape);
        Assert.Equal(new[] { 1.5f, 2f, -1f, 300f, 0f, 4f }, c.X.data<float>().ToArray());
        Assert.Equal(new long[] { 0, 1, 1 }, c.Y.data<long>().ToArray());
        File.WriteAllText(dir.File("r.csv"), "1,2,0.5\n3,4,1.25\n");
        var r = Dataset.FromCsv(dir.File("r.csv"));
        Assert.Equal(ScalarType.Float32, r.Y.dtype);
        Assert.Equal(new[] { 0.5f, 1.25f }, r.Y.data<float>().ToArray());
        File.WriteAllText(dir.File("bad.csv"), "1,2,0\n3,x,1\n");
        Assert.Contains("'x'", Assert.Throws<InvalidDataException>(() => Dataset.FromCsv(dir.File("bad.csv"))).Message);
        Assert.Contains("Columns", Assert.Throws<ArgumentException>(() => Dataset.FromCsv(dir.File("d.csv"), labelColumn: "y")).Message);
    }
}
