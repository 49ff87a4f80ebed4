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

    /// <summary>The held-out test set or a clear error naming <paramref name="who"/> as the component that needs it.</summary>
    public LabelledSubset RequireTest(string who) =>
        Test ?? throw new ArgumentException($"{who} needs a held-out test set; pass UnlearningData(forget, retain, test).");
}
