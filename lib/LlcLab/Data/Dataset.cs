using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Data;

/// <summary>
/// A supervised data set: inputs <see cref="X"/> <c>[n, ...]</c> (float32 features, or int64 token ids
/// for sequence models), targets <see cref="Y"/> <c>[n]</c> (int64 class labels) or <c>[n]</c>/<c>[n, k]</c>
/// (float32 regression targets), and named concepts (int64 <c>[n]</c>, one value per example) used by
/// probes and erasers. Tensors live on the CPU unless moved with <see cref="To"/>.
/// Every split is deterministic: a private generator seeded by the caller, never the global RNG.
/// </summary>
public sealed partial record Dataset
{
    public Dataset(Tensor x, Tensor y, IReadOnlyDictionary<string, Tensor>? concepts = null, string name = "data")
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.dim() < 1 || y.dim() < 1 || x.shape[0] != y.shape[0])
            throw new ArgumentException($"X has shape [{string.Join(",", x.shape)}] but Y has [{string.Join(",", y.shape)}]; both need the same first (example) dimension.");
        if (x.dtype is not (ScalarType.Float32 or ScalarType.Int64))
            throw new ArgumentException($"X must be float32 (features) or int64 (token ids), not {x.dtype}; convert with x.to(float32).");
        if (y.dtype is not (ScalarType.Int64 or ScalarType.Float32))
            throw new ArgumentException($"Y must be int64 (class labels) or float32 (regression targets), not {y.dtype}.");
        var cs = new Dictionary<string, Tensor>();
        foreach (var (k, v) in concepts ?? new Dictionary<string, Tensor>())
        {
            if (v.dim() != 1 || v.shape[0] != x.shape[0])
                throw new ArgumentException($"Concept '{k}' has shape [{string.Join(",", v.shape)}]; it needs one value per example, [{x.shape[0]}].");
            cs[k] = v.dtype == ScalarType.Int64 ? v : v.to(ScalarType.Int64);
        }
        X = x; Y = y; Concepts = cs; Name = name;
    }

    public Tensor X { get; init; }
    public Tensor Y { get; init; }
    public IReadOnlyDictionary<string, Tensor> Concepts { get; init; }
    public string Name { get; init; }

    /// <summary>Number of examples n.</summary>
    public long Count => X.shape[0];

    /// <summary>Shape of one input, <c>X.shape[1..]</c>.</summary>
    public long[] InputShape => X.shape[1..];

    /// <summary>True when <see cref="Y"/> holds class labels (int64).</summary>
    public bool IsClassification => Models.Losses.IsClassLabels(Y);

    /// <summary>Number of classes (max label + 1) for classification data.</summary>
    public int NumClasses => IsClassification
        ? (int)Y.max().item<long>() + 1
        : throw new InvalidOperationException($"Data set '{Name}' has float targets, not class labels.");

    public IReadOnlyList<string> ConceptNames => Concepts.Keys.ToList();

    /// <summary>The concept <paramref name="name"/> as int64 <c>[n]</c>; a clear error lists the available ones.</summary>
    public Tensor Concept(string name) => Concepts.TryGetValue(name, out var c) ? c
        : throw new ArgumentException($"Data set '{Name}' has no concept '{name}'. Concepts: {(Concepts.Count == 0 ? "(none)" : string.Join(", ", Concepts.Keys))}.");

    /// <summary>A copy with one more (or a replaced) concept.</summary>
    public Dataset WithConcept(string name, Tensor values)
    {
        var cs = Concepts.ToDictionary();
        cs[name] = values;
        return new Dataset(X, Y, cs, Name);
    }

    /// <summary>The examples at <paramref name="indices"/> (int64 <c>[m]</c>), in that order, with their concepts.</summary>
    public Dataset Subset(Tensor indices, string? name = null)
    {
        if (indices.dtype == ScalarType.Bool) indices = indices.nonzero().squeeze(-1);
        if (indices.dim() != 1) throw new ArgumentException("Subset indices must be a 1-D tensor of example indices (or a boolean mask).");
        if (indices.numel() > 0)
        {
            long lo = indices.min().item<long>(), hi = indices.max().item<long>();
            if (lo < 0 || hi >= Count) throw new ArgumentException($"Subset index out of range [0, {Count}): found {(lo < 0 ? lo : hi)}.");
        }
        var ix = indices.to(ScalarType.Int64);
        return new Dataset(X.index_select(0, ix.to(X.device)), Y.index_select(0, ix.to(Y.device)),
            Concepts.ToDictionary(kv => kv.Key, kv => kv.Value.index_select(0, ix.to(kv.Value.device))), name ?? Name);
    }

    /// <summary>The examples at <paramref name="indices"/>.</summary>
    public Dataset Subset(IEnumerable<long> indices, string? name = null) => Subset(tensor(indices.ToArray(), ScalarType.Int64), name);

    /// <summary>
    /// Deterministic train/test split: a fraction <paramref name="testFraction"/> of the examples
    /// (rounded, per class when <paramref name="stratify"/> and Y holds labels) goes to the test set,
    /// chosen by a permutation from a private generator seeded with <paramref name="seed"/>.
    /// Indices in each part keep their original order.
    /// </summary>
    public (Dataset Train, Dataset Test) Split(double testFraction = 0.2, long seed = 0, bool stratify = true)
    {
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentException($"testFraction must be in (0, 1), got {testFraction}.");
        using var g = Seeding.Generator(seed);
        var perm = randperm(Count, generator: g).data<long>().ToArray();
        var isTest = new bool[Count];
        if (stratify && IsClassification)
        {
            var labels = Y.cpu().data<long>().ToArray();
            foreach (var grp in perm.GroupBy(i => labels[i]))
            {
                var members = grp.ToArray();
                int take = (int)Math.Round(members.Length * testFraction, MidpointRounding.AwayFromZero);
                for (int j = 0; j < take; j++) isTest[members[j]] = true;
            }
        }
        else
        {
            int take = (int)Math.Round(Count * testFraction, MidpointRounding.AwayFromZero);
            for (int j = 0; j < take; j++) isTest[perm[j]] = true;
        }
        var test = Enumerable.Range(0, (int)Count).Where(i => isTest[i]).Select(i => (long)i);
        var train = Enumerable.Range(0, (int)Count).Where(i => !isTest[i]).Select(i => (long)i);
        return (Subset(train, Name + "/train"), Subset(test, Name + "/test"));
    }

    /// <summary>Forget set = examples whose label is one of <paramref name="classes"/>; retain set = the rest.</summary>
    public (Dataset Forget, Dataset Retain) ForgetRetainByClass(params long[] classes)
    {
        if (!IsClassification) throw new InvalidOperationException($"Data set '{Name}' has float targets; use ForgetRetainByConcept.");
        if (classes.Length == 0) throw new ArgumentException("Name at least one class to forget.");
        using var cls = tensor(classes, ScalarType.Int64);
        return ByMask(isin(Y, cls.to(Y.device)), $"class {string.Join("+", classes)}");
    }

    /// <summary>Forget set = examples whose concept <paramref name="concept"/> equals <paramref name="value"/>; retain set = the rest.</summary>
    public (Dataset Forget, Dataset Retain) ForgetRetainByConcept(string concept, long value = 1) =>
        ByMask(Concept(concept).eq(value), $"{concept}={value}");

    (Dataset, Dataset) ByMask(Tensor mask, string what)
    {
        long m = mask.sum().item<long>();
        if (m == 0 || m == Count)
            throw new ArgumentException($"Forgetting {what} in '{Name}' leaves an empty {(m == 0 ? "forget" : "retain")} set.");
        return (Subset(mask.cpu(), Name + "/forget"), Subset(mask.logical_not().cpu(), Name + "/retain"));
    }

    /// <summary>
    /// The examples of this set followed by those of <paramref name="other"/> (e.g. an official train and test split joined
    /// into the whole set). Both must have the same input shape, label dtype and concept names.
    /// </summary>
    public Dataset Append(Dataset other, string? name = null)
    {
        if (!InputShape.SequenceEqual(other.InputShape) || X.dtype != other.X.dtype || Y.dtype != other.Y.dtype)
            throw new ArgumentException($"Cannot append '{other.Name}' to '{Name}': X [{string.Join(",", other.InputShape)}] {other.X.dtype}, Y {other.Y.dtype} " +
                $"against X [{string.Join(",", InputShape)}] {X.dtype}, Y {Y.dtype}.");
        if (!Concepts.Keys.Order().SequenceEqual(other.Concepts.Keys.Order()))
            throw new ArgumentException($"Cannot append '{other.Name}' to '{Name}': concepts [{string.Join(", ", other.ConceptNames)}] against [{string.Join(", ", ConceptNames)}].");
        return new Dataset(cat([X, other.X]), cat([Y, other.Y]),
            Concepts.ToDictionary(kv => kv.Key, kv => cat([kv.Value, other.Concepts[kv.Key]])), name ?? Name);
    }

    /// <summary>A copy on <paramref name="device"/>.</summary>
    public Dataset To(Device device) =>
        new(X.to(device), Y.to(device), Concepts.ToDictionary(kv => kv.Key, kv => kv.Value.to(device)), Name);

    public override string ToString() =>
        $"{Name}: {Count} examples, X [{string.Join(",", X.shape)}] {X.dtype}, Y {Y.dtype}" +
        (IsClassification ? $" ({NumClasses} classes)" : "") + (Concepts.Count > 0 ? $", concepts: {string.Join(", ", Concepts.Keys)}" : "");
}
