using System.CommandLine;
using System.Globalization;
using LlcLab.Data;
using LlcLab.Runtime;

namespace LlcLab.Cli.Options;

/// <summary>Which data a verb uses: the source, its seed, and the split that <c>llclab train</c> trains on.</summary>
/// <param name="Data">A built-in name (<see cref="BuiltinData"/>) or a file: <c>X.npy</c> (with <paramref name="Labels"/>) or <c>.csv[.gz]</c>.</param>
/// <param name="DataSeed">Seed of generated data (synthetic, planted) and of digits' planted mark.</param>
/// <param name="SplitSeed">Seed of the stratified train/test split.</param>
/// <param name="TestFraction">Held-out fraction.</param>
public sealed record DataChoice(string Data, string? Labels, long DataSeed, long SplitSeed, double TestFraction)
{
    /// <summary>safetensors metadata keys under which <c>llclab train</c> records the choice in the model file.</summary>
    public const string DataKey = "llclab.data", LabelsKey = "llclab.labels", DataSeedKey = "llclab.data_seed",
        SplitSeedKey = "llclab.split_seed", TestFractionKey = "llclab.test_fraction";

    public IEnumerable<(string Key, string Value)> Metadata()
    {
        yield return (DataKey, IsFile ? Path.GetFullPath(Data) : Data);
        if (Labels is not null) yield return (LabelsKey, Path.GetFullPath(Labels));
        yield return (DataSeedKey, DataSeed.ToString(CultureInfo.InvariantCulture));
        yield return (SplitSeedKey, SplitSeed.ToString(CultureInfo.InvariantCulture));
        yield return (TestFractionKey, TestFraction.ToString("R", CultureInfo.InvariantCulture));
    }

    public bool IsFile => !BuiltinData.IsBuiltin(Data);

    public override string ToString() => $"{Data}{(Labels is null ? "" : $" + {Labels}")} (data seed {DataSeed}, split seed {SplitSeed}, test fraction {Check.Show(TestFraction)})";
}

/// <summary>A loaded data set and its split: <see cref="Train"/> is exactly what <c>llclab train</c> trained on.</summary>
public sealed record LoadedData(DataChoice Choice, Dataset Full, Dataset Train, Dataset Test)
{
    /// <summary>The rows named by <c>--subset</c>: train, test or all.</summary>
    public Dataset Subset(string subset) => subset switch { "train" => Train, "test" => Test, _ => Full };
}

/// <summary>
/// The data flags shared by every verb: <c>--data</c>, <c>--labels</c>, <c>--data-seed</c>, <c>--split-seed</c>,
/// <c>--test-fraction</c>. When a flag is not given and the model file was written by <c>llclab train</c>, the value
/// recorded in the file is used, so later verbs see the training split without repeating the flags; a flag that
/// contradicts the file gets a warning on stderr.
/// </summary>
public sealed class DataOptions
{
    public const string DefaultData = "digits";
    public const double DefaultTestFraction = 0.2;

    public readonly Option<string?> Data;

    /// <param name="readsModel">True for verbs that read a model file (its recorded data is the default); false for train.</param>
    public DataOptions(bool readsModel = true)
    {
        Data = new("--data")
        {
            Description = $"Data set: {BuiltinData.Names} | X.npy (with --labels Y.npy) | file.csv[.gz] (last column = label). Default: " +
                (readsModel ? "the data the model was trained on (recorded by llclab train), else digits." : $"{DefaultData}."),
        };
    }

    public readonly Option<string?> Labels = new("--labels") { Description = "Labels/targets .npy when --data is an X .npy file (int labels [n], or float targets)." };
    public readonly Option<long?> DataSeed = new("--data-seed") { Description = "Seed of generated data (synthetic, planted; the planted mark of digits and fashion-mnist). Default 0." };
    public readonly Option<long?> SplitSeed = new("--split-seed") { Description = "Seed of the stratified train/test split (the same in every verb). Default 0." };
    public readonly Option<double?> TestFraction = new("--test-fraction") { Description = $"Held-out fraction of the split, in (0, 1). Default {DefaultTestFraction}. Not for fashion-mnist (official split)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(Labels);
        command.Options.Add(DataSeed);
        command.Options.Add(SplitSeed);
        command.Options.Add(TestFraction);
    }

    /// <summary>Reads and checks the flags (files exist, ranges) without loading anything.</summary>
    public DataChoice Read(ParseResult r, IReadOnlyDictionary<string, string>? modelMetadata = null)
    {
        var meta = modelMetadata ?? new Dictionary<string, string>();
        string? Recorded(string key) => meta.TryGetValue(key, out var v) ? v : null;
        var data = r.GetValue(Data);
        var labels = r.GetValue(Labels);
        var recordedData = Recorded(DataChoice.DataKey);
        if (data is null && recordedData is not null && (BuiltinData.IsBuiltin(recordedData) || File.Exists(recordedData)))
        {
            data = recordedData;
            labels ??= Recorded(DataChoice.LabelsKey);
        }
        if (data is null && modelMetadata is not null)
            Stderr.Note($"note: no --data given and the model file records none; using --data {DefaultData}.");
        data ??= DefaultData;
        long dataSeed = r.GetValue(DataSeed) ?? ParseLong(Recorded(DataChoice.DataSeedKey)) ?? 0;
        long splitSeed = r.GetValue(SplitSeed) ?? ParseLong(Recorded(DataChoice.SplitSeedKey)) ?? 0;
        if (r.GetValue(TestFraction) is not null && BuiltinData.HasOfficialSplit(data))
            throw new ArgumentException($"--test-fraction does not apply to --data {data.Trim()}: it has an official train/test split " +
                "(use fashion-mnist:N for a smaller, stratified subset). Drop --test-fraction.");
        double fraction = r.GetValue(TestFraction) ?? ParseDouble(Recorded(DataChoice.TestFractionKey)) ?? DefaultTestFraction;
        Check.InRange("--test-fraction", fraction, 0, 1, loOpen: true, hiOpen: true);
        var choice = new DataChoice(data.Trim(), labels, dataSeed, splitSeed, fraction);
        CheckFiles(choice);
        if (recordedData is not null) WarnIfDifferent(choice, meta);
        return choice;
    }

    static void CheckFiles(DataChoice c)
    {
        if (!c.IsFile)
        {
            if (c.Labels is not null) throw new ArgumentException($"--labels is only for --data X.npy; '{c.Data}' is a built-in data set with its own labels.");
            return;
        }
        var d = c.Data;
        bool npy = d.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        bool csv = d.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || d.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);
        if (!npy && !csv) throw new ArgumentException($"Unknown --data '{d}'. Use one of {BuiltinData.Names}, an X .npy file (with --labels Y.npy) or a .csv[.gz] file.");
        if (!File.Exists(d)) throw new ArgumentException($"--data {d}: no such file ('{Path.GetFullPath(d)}').");
        if (npy && c.Labels is null) throw new ArgumentException($"--data {d} is an X .npy file; give the labels with --labels Y.npy.");
        if (csv && c.Labels is not null) throw new ArgumentException($"--labels is only for --data X.npy; the labels of {d} are its last column.");
        if (c.Labels is not null && !File.Exists(c.Labels)) throw new ArgumentException($"--labels {c.Labels}: no such file ('{Path.GetFullPath(c.Labels)}').");
    }

    static void WarnIfDifferent(DataChoice c, IReadOnlyDictionary<string, string> meta)
    {
        foreach (var (key, value) in c.Metadata())
            if (meta.TryGetValue(key, out var recorded) && recorded != value)
                Stderr.Warn($"the model was trained with {key["llclab.".Length..].Replace('_', '-')} = {recorded}, but this run uses {value}: " +
                    "its 'train' split is not the model's training data.");
    }

    /// <summary>Loads the data, checks it (<see cref="DataChecks.Table"/>) and splits it.</summary>
    public static LoadedData Load(DataChoice c)
    {
        Dataset full, train, test;
        if (BuiltinData.TryLoadSplit(c.Data, c.DataSeed, c.SplitSeed) is { } official)
        {
            // The published split (Fashion-MNIST): train and test are the official rows, whatever --test-fraction says.
            (train, test) = official;
            full = train.Append(test, c.Data);
            DataChecks.Table(full, c);
        }
        else
        {
            full = BuiltinData.TryLoad(c.Data, c.DataSeed) ?? LoadFile(c);
            DataChecks.Table(full, c);
            (train, test) = full.Split(c.TestFraction, Seeding.Derive(c.SplitSeed, 1));
        }
        if (train.Count < 2)
            throw new ArgumentException($"--data {c.Data}: the train split has {train.Count} row(s) ({full.Count} rows, --test-fraction {Check.Show(c.TestFraction)}); it needs at least 2.");
        return new LoadedData(c, full, train, test);
    }

    static Dataset LoadFile(DataChoice c)
    {
        try
        {
            return c.Data.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? Dataset.FromNpy(c.Data, c.Labels!) : Dataset.FromCsv(c.Data);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
        {
            throw new ArgumentException($"--data {c.Data}{(c.Labels is null ? "" : $" --labels {c.Labels}")}: {e.Message}", e);
        }
    }

    static long? ParseLong(string? s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    static double? ParseDouble(string? s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
}
