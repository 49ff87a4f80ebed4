using LlcLab.Data;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// One labelled subset used by an unlearning run: inputs <see cref="X"/> <c>[n, ...]</c> (float32),
/// task labels <see cref="Y"/> <c>[n]</c> (int64 class indices), optionally the rows' indices in the source
/// data set (<see cref="Indices"/>, so a run can state exactly which data it used) and per-row concept
/// labels (<see cref="Concept"/>, int64 <c>[n]</c>, for concept probes and concept erasers).
/// </summary>
public sealed record LabelledSubset(Tensor X, Tensor Y, long[]? Indices = null, Tensor? Concept = null)
{
    public long Count => X.shape[0];

    internal void Validate(string role)
    {
        if (X.dim() < 2) throw new ArgumentException($"The {role} set's X must be [n, features]; got shape [{string.Join(",", X.shape)}].");
        if (Y.dim() != 1 || Y.shape[0] != X.shape[0])
            throw new ArgumentException($"The {role} set has {X.shape[0]} rows in X but Y has shape [{string.Join(",", Y.shape)}]; Y must be [n] class indices.");
        if (Y.dtype != ScalarType.Int64)
            throw new ArgumentException($"The {role} set's Y must be int64 class indices (got {Y.dtype}); convert with y.to(ScalarType.Int64).");
        if (Indices is not null && Indices.Length != X.shape[0])
            throw new ArgumentException($"The {role} set lists {Indices.Length} source indices for {X.shape[0]} rows.");
        if (Concept is not null && (Concept.dim() != 1 || Concept.shape[0] != X.shape[0]))
            throw new ArgumentException($"The {role} set's concept labels must be [n] = [{X.shape[0]}]; got [{string.Join(",", Concept.shape)}].");
    }

    /// <summary>The rows <paramref name="rows"/> of <paramref name="data"/> (all rows when null), with those row numbers as
    /// <see cref="Indices"/> and <paramref name="concept"/> (a concept of <paramref name="data"/>) as <see cref="Concept"/>.</summary>
    public static LabelledSubset From(Dataset data, long[]? rows = null, string? concept = null)
    {
        if (!data.IsClassification) throw new ArgumentException($"Unlearning needs class labels; '{data.Name}' has float targets.");
        var d = rows is null ? data : data.Subset((IEnumerable<long>)rows);
        return new LabelledSubset(d.X, d.Y, rows ?? Enumerable.Range(0, (int)data.Count).Select(i => (long)i).ToArray(),
            concept is null ? null : d.Concept(concept));
    }

    /// <summary>The rows <paramref name="rows"/> (a subset of this subset; indices and concept follow).</summary>
    public LabelledSubset Take(long[] rows)
    {
        using var idx = tensor(rows, device: X.device);
        return new LabelledSubset(X.index_select(0, idx), Y.index_select(0, idx.to(Y.device)),
            Indices is null ? null : rows.Select(r => Indices[r]).ToArray(),
            Concept?.index_select(0, idx.to(Concept.device)));
    }
}

/// <summary>
/// The data of an unlearning problem: the forget set D_f, the retain set D_r (the training data minus
/// D_f) and a held-out test set (never trained on; used for test accuracy, membership-inference
/// non-members and concept probes).
/// </summary>
public sealed record UnlearningData(LabelledSubset Forget, LabelledSubset Retain, LabelledSubset? Test = null)
{
    /// <summary>Checks shapes and dtypes; throws a clear <see cref="ArgumentException"/>.</summary>
    public void Validate()
    {
        Forget.Validate("forget");
        Retain.Validate("retain");
        Test?.Validate("test");
        if (Forget.Count == 0) throw new ArgumentException("The forget set D_f is empty; choose a class or concept that occurs in the training data.");
        if (Retain.Count == 0) throw new ArgumentException("The retain set D_r is empty; the forget set covers all training data.");
        if (Forget.X.shape.Skip(1).SequenceEqual(Retain.X.shape.Skip(1)) is false)
            throw new ArgumentException($"Forget and retain inputs differ in shape: [{string.Join(",", Forget.X.shape)}] vs [{string.Join(",", Retain.X.shape)}].");
        if (Forget.Indices is not null && Retain.Indices is not null && Forget.Indices.Intersect(Retain.Indices).Any() )
            throw new ArgumentException("The forget and retain sets share source rows; D_r must be the training data minus D_f.");
    }

    /// <summary>
    /// Splits a training set into D_f (rows where <paramref name="forgetMask"/> is true, bool <c>[n]</c>) and D_r (the rest),
    /// recording row numbers in <paramref name="train"/> as source indices. <paramref name="concept"/> names the concept of
    /// <paramref name="train"/> and <paramref name="test"/> used by concept probes and erasers.
    /// </summary>
    public static UnlearningData FromDataset(Dataset train, Tensor forgetMask, Dataset? test = null, string? concept = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (forgetMask.dtype != ScalarType.Bool || forgetMask.dim() != 1 || forgetMask.shape[0] != train.Count)
            throw new ArgumentException($"The forget mask must be bool [{train.Count}] (one flag per training example); got {forgetMask.dtype} [{string.Join(",", forgetMask.shape)}].");
        var flags = forgetMask.cpu().data<bool>().ToArray();
        var forget = Enumerable.Range(0, flags.Length).Where(i => flags[i]).Select(i => (long)i).ToArray();
        var retain = Enumerable.Range(0, flags.Length).Where(i => !flags[i]).Select(i => (long)i).ToArray();
        if (forget.Length == 0) throw new ArgumentException($"The forget selection matches no example of '{train.Name}'.");
        if (retain.Length == 0) throw new ArgumentException($"The forget selection covers every example of '{train.Name}'; nothing is left to retain.");
        var data = new UnlearningData(LabelledSubset.From(train, forget, concept), LabelledSubset.From(train, retain, concept),
            test is null ? null : LabelledSubset.From(test, null, concept) with { Indices = null });
        data.Validate();
        return data;
    }

    /// <summary>D_f = the training examples of class <paramref name="label"/>.</summary>
    public static UnlearningData ByClass(Dataset train, long label, Dataset? test = null, string? concept = null) =>
        FromDataset(train, train.Y.eq(label), test, concept);

    /// <summary>D_f = the training examples whose concept <paramref name="forgetConcept"/> equals <paramref name="value"/>;
    /// that concept is also the probed one unless <paramref name="concept"/> says otherwise.</summary>
    public static UnlearningData ByConcept(Dataset train, string forgetConcept, long value = 1, Dataset? test = null, string? concept = null) =>
        FromDataset(train, train.Concept(forgetConcept).eq(value), test, concept ?? forgetConcept);

    /// <summary>D_f = the training examples at <paramref name="rows"/>.</summary>
    public static UnlearningData ByIndices(Dataset train, IEnumerable<long> rows, Dataset? test = null, string? concept = null)
    {
        var mask = zeros(train.Count, dtype: ScalarType.Bool);
        var r = rows.ToArray();
        if (r.Any(i => i < 0 || i >= train.Count)) throw new ArgumentException($"Forget indices must be in [0, {train.Count}) for '{train.Name}'.");
        if (r.Length > 0) mask.index_fill_(0, tensor(r), true);
        return FromDataset(train, mask, test, concept);
    }

    /// <summary>The held-out test set or a clear error naming <paramref name="who"/> as the component that needs it.</summary>
    public LabelledSubset RequireTest(string who) =>
        Test ?? throw new ArgumentException($"{who} needs a held-out test set; pass UnlearningData(forget, retain, test).");
}
