using System.Globalization;
using LlcLab.Data;
using LlcLab.Runtime;

namespace LlcLab.Cli.Options;

/// <summary>
/// The data sets every verb knows by name (<c>--data NAME</c>). One table, so <c>train</c>, <c>estimate</c>, <c>erase</c>
/// and <c>unlearn</c> build the same examples from the same name and <c>--data-seed</c>, and then the same train/test
/// split (<see cref="DataOptions"/>). A set with an official split (Fashion-MNIST) keeps it: its train and test rows are
/// the published ones, and <c>--test-fraction</c> does not apply. To add a data set, add one entry to <see cref="Sets"/>.
/// </summary>
public static class BuiltinData
{
    /// <summary>A named data set: a one-line description for <c>--help</c>, and either a loader of the whole set from the data
    /// seed (split later by <c>--split-seed</c>/<c>--test-fraction</c>) or a loader of its official (train, test) split.</summary>
    public sealed record Entry(string Name, string Description, Func<long, Dataset>? Load = null,
        Func<long, (Dataset Train, Dataset Test)>? LoadSplit = null);

    /// <summary>Official split sizes of Fashion-MNIST, for <c>fashion-mnist:N</c> subsets (N training rows, N/6 test rows).</summary>
    const double FashionTestPerTrain = (double)FashionMnist.TestCount / FashionMnist.TrainCount;

    public static readonly IReadOnlyList<Entry> Sets =
    [
        new("digits", "UCI 8×8 digits, 1,797 × 64, 10 classes; concepts parity, ge5, loop, spurious (mark planted with --data-seed)",
            seed => Digits.Load(new DigitsOptions { Seed = seed })),
        new("fashion-mnist", "Fashion-MNIST 28×28, official split 60,000 train / 10,000 test, 10 classes; concepts footwear, upper, " +
            "spurious (corner patch planted with --data-seed); fashion-mnist:N takes a stratified N-row train subset and N/6 test rows (--split-seed)",
            LoadSplit: seed => FashionMnist.Load(new FashionMnistOptions { Seed = seed })),
        new("synthetic", "Gaussian data with a linear binary concept (2,000 × 16, 2 classes; concept 'concept'), drawn with --data-seed",
            seed => SyntheticConcept.Generate(seed: seed).Data),
        new("planted", "token sequences with a planted token (for transformer specs)", seed => Sequences.PlantedToken(seed: seed)),
    ];

    /// <summary>The names, for help and error texts.</summary>
    public static string Names => string.Join(", ", Sets.Select(s => s.Name).Append("fashion-mnist:N").Append("modadd:P"));

    /// <summary>True when <paramref name="data"/> names a built-in set (rather than a file).</summary>
    public static bool IsBuiltin(string data)
    {
        var d = data.Trim();
        return Find(d) is not null || d.StartsWith("modadd", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when <paramref name="data"/> names a built-in set with an official train/test split.</summary>
    public static bool HasOfficialSplit(string data) => Find(data.Trim())?.Entry.LoadSplit is not null;

    /// <summary>The entry named by <paramref name="d"/> (its name, or <c>name:N</c> for a split set), with N when given.</summary>
    static (Entry Entry, int? Rows)? Find(string d)
    {
        var name = d.Split(':')[0];
        var e = Sets.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (e is null) return null;
        if (name.Length == d.Length) return (e, null);
        if (e.LoadSplit is null) return null;
        var n = d[(name.Length + 1)..];
        if (!int.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rows) || rows < 12 || rows > FashionMnist.TrainCount)
            throw new ArgumentException($"--data '{d}': write {e.Name}:N with a training-row count N in 12..{FashionMnist.TrainCount:N0}, e.g. {e.Name}:10000.");
        return (e, rows);
    }

    /// <summary>Loads the built-in set <paramref name="data"/> whole, or null when it is not a built-in name.</summary>
    public static Dataset? TryLoad(string data, long seed) => TryLoadSplit(data, seed, 0) is { } s ? s.Train.Append(s.Test, s.Train.Name.Split('/')[0]) : TryLoadWhole(data, seed);

    /// <summary>
    /// For a set with an official split: its (train, test) parts, or for <c>name:N</c> a stratified random N-row subset of
    /// the training rows and a stratified ⌈N/6⌉-row subset of the test rows, drawn with <paramref name="splitSeed"/>.
    /// Null for sets without an official split.
    /// </summary>
    public static (Dataset Train, Dataset Test)? TryLoadSplit(string data, long seed, long splitSeed)
    {
        if (Find(data.Trim()) is not { Entry.LoadSplit: { } load } found) return null;
        var (train, test) = load(seed);
        if (found.Rows is not int rows || rows >= train.Count) return (train, test);
        int testRows = (int)Math.Min(test.Count, Math.Ceiling(rows * FashionTestPerTrain));
        return (Keep(train, rows, Seeding.Derive(splitSeed, 2)), Keep(test, testRows, Seeding.Derive(splitSeed, 3)));
    }

    // A stratified subset of m rows: the "test" part of a stratified split with fraction m/n (rows keep their order).
    static Dataset Keep(Dataset d, int m, long seed) => m >= d.Count ? d : d.Split((double)m / d.Count, seed).Test;

    static Dataset? TryLoadWhole(string data, long seed)
    {
        var d = data.Trim();
        if (Find(d) is { Entry.Load: { } load }) return load(seed);
        if (!d.StartsWith("modadd", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = d.Split(':');
        if (parts.Length == 1) return Sequences.ModularAddition(23);
        if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p >= 2)
            return Sequences.ModularAddition(p);
        throw new ArgumentException($"--data '{d}': write modadd:P with an integer modulus P ≥ 2, e.g. modadd:23.");
    }
}
