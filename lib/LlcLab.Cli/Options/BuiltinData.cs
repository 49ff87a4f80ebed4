using System.Globalization;
using LlcLab.Data;

namespace LlcLab.Cli.Options;

/// <summary>
/// The data sets every verb knows by name (<c>--data NAME</c>). One table, so <c>train</c>, <c>estimate</c>, <c>erase</c>
/// and <c>unlearn</c> build the same examples from the same name and <c>--data-seed</c>, and then the same train/test
/// split (<see cref="DataOptions"/>). To add a data set (e.g. Fashion-MNIST once <c>lib/LlcLab/Data</c> provides a loader),
/// add one entry to <see cref="Sets"/>; nothing else changes.
/// </summary>
public static class BuiltinData
{
    /// <summary>A named data set: a one-line description for <c>--help</c> and a loader from the data seed.</summary>
    public sealed record Entry(string Name, string Description, Func<long, Dataset> Load);

    public static readonly IReadOnlyList<Entry> Sets =
    [
        new("digits", "UCI 8×8 digits, 1,797 × 64, 10 classes; concepts parity, ge5, loop, spurious (mark planted with --data-seed)",
            seed => Digits.Load(new DigitsOptions { Seed = seed })),
        new("synthetic", "Gaussian data with a linear binary concept (2,000 × 16, 2 classes; concept 'concept'), drawn with --data-seed",
            seed => SyntheticConcept.Generate(seed: seed).Data),
        new("planted", "token sequences with a planted token (for transformer specs)", seed => Sequences.PlantedToken(seed: seed)),
        // Fashion-MNIST: add `new("fashion-mnist", "...", seed => FashionMnist.Load(...))` here when lib/LlcLab/Data has it.
    ];

    /// <summary>The names, for help and error texts.</summary>
    public static string Names => string.Join(", ", Sets.Select(s => s.Name).Append("modadd:P"));

    /// <summary>True when <paramref name="data"/> names a built-in set (rather than a file).</summary>
    public static bool IsBuiltin(string data)
    {
        var d = data.Trim();
        return Sets.Any(s => s.Name.Equals(d, StringComparison.OrdinalIgnoreCase)) || d.StartsWith("modadd", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Loads the built-in set <paramref name="data"/>, or null when it is not a built-in name.</summary>
    public static Dataset? TryLoad(string data, long seed)
    {
        var d = data.Trim();
        if (Sets.FirstOrDefault(s => s.Name.Equals(d, StringComparison.OrdinalIgnoreCase)) is { } e) return e.Load(seed);
        if (!d.StartsWith("modadd", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = d.Split(':');
        if (parts.Length == 1) return Sequences.ModularAddition(23);
        if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p >= 2)
            return Sequences.ModularAddition(p);
        throw new ArgumentException($"--data '{d}': write modadd:P with an integer modulus P ≥ 2, e.g. modadd:23.");
    }
}
