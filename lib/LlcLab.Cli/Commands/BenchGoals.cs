using System.Globalization;
using System.Text.Json;

namespace LlcLab.Cli.Commands;

/// <summary>A goal on a measured value: at least or at most <see cref="Bound"/>.</summary>
public sealed record Goal(bool AtLeast, double Bound)
{
    /// <summary>Value ≥ bound.</summary>
    public static Goal Min(double bound) => new(true, bound);
    /// <summary>Value ≤ bound.</summary>
    public static Goal Max(double bound) => new(false, bound);

    /// <summary>True when <paramref name="value"/> meets the goal (NaN never does).</summary>
    public bool Met(double value) => AtLeast ? value >= Bound : value <= Bound;

    public override string ToString() => $"{(AtLeast ? "≥" : "≤")} {Bound.ToString("0.###", CultureInfo.InvariantCulture)}";
}

/// <summary>One measured value with its goal, as a bench reports it.</summary>
public sealed record GoalRow(string Measure, double Value, string Unit, Goal Goal)
{
    public bool Met => Goal.Met(Value);
}

/// <summary>
/// The goals a benchmark measured (issue #14: the ratios and memory bounds of <c>llclab bench</c>). Each bench records its
/// goal rows here and prints them as a table with a PASS/FAIL column at its end; when the environment variable
/// <see cref="FileVariable"/> names a file, every row is also appended to it as a JSON line, so that <c>llclab bench all</c>
/// can collect the rows of its child benches into one table.
/// </summary>
public static class BenchGoals
{
    /// <summary>Environment variable naming the JSON-lines file that goal rows are appended to.</summary>
    public const string FileVariable = "LLCLAB_BENCH_GOALS";

    static readonly List<GoalRow> rows = [];
    static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Records a goal row (and appends it to <see cref="FileVariable"/>'s file when set); returns it.</summary>
    public static GoalRow Record(string measure, double value, string unit, Goal goal)
    {
        var row = new GoalRow(measure, value, unit, goal);
        lock (rows) rows.Add(row);
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } path)
            File.AppendAllText(path, JsonSerializer.Serialize(row, Json) + "\n");
        return row;
    }

    /// <summary>Rows recorded in this process so far.</summary>
    public static IReadOnlyList<GoalRow> Recorded { get { lock (rows) return rows.ToList(); } }

    /// <summary>Reads the rows appended to <paramref name="path"/> (none when the file does not exist).</summary>
    public static List<GoalRow> ReadFile(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<GoalRow>(l, Json)!).ToList()
            : [];

    /// <summary>Prints the rows recorded in this process as a goal table (nothing when there are none).</summary>
    public static void PrintRecorded(TextWriter? to = null)
    {
        var r = Recorded;
        if (r.Count == 0) return;
        (to ?? Console.Out).WriteLine("goals:");
        PrintTable(r.Select(g => new GoalSummary(g.Measure, g.Unit, g.Goal, [g.Value])).ToList(), to ?? Console.Out);
    }

    /// <summary>One table row per goal: the median of its repetitions, their range, the goal and PASS/FAIL on the median.</summary>
    public static void PrintTable(IReadOnlyList<GoalSummary> goals, TextWriter to)
    {
        static string F(double v) => double.IsNaN(v) ? "—" : v.ToString(v >= 100 ? "N0" : "F3", CultureInfo.InvariantCulture);
        int w = Math.Max("measure".Length, goals.Max(g => g.Measure.Length));
        bool many = goals.Any(g => g.Values.Count > 1);
        to.WriteLine($"{"measure".PadRight(w)}  {(many ? "median" : "value"),10}  {(many ? $"{"range (runs)",-24}  " : "")}{"unit",-4}  {"goal",-8}  result");
        foreach (var g in goals)
        {
            string range = many ? $"{$"{F(g.Values.Min())} – {F(g.Values.Max())} ({g.Values.Count})",-24}  " : "";
            to.WriteLine($"{g.Measure.PadRight(w)}  {F(g.Median),10}  {range}{g.Unit,-4}  {g.Goal,-8}  {(g.Met ? "PASS" : "FAIL")}");
        }
    }

    /// <summary>Groups rows by measure (first-seen order) into summaries of their repetitions.</summary>
    public static List<GoalSummary> Summarise(IEnumerable<GoalRow> rows) =>
        rows.GroupBy(r => r.Measure).Select(g => new GoalSummary(g.Key, g.First().Unit, g.First().Goal, g.Select(r => r.Value).ToList())).ToList();
}

/// <summary>A goal measured <see cref="Values"/>.Count times; it passes when the median of the repetitions meets it.</summary>
public sealed record GoalSummary(string Measure, string Unit, Goal Goal, IReadOnlyList<double> Values)
{
    /// <summary>Median of the repetitions (the mean of the middle two for an even count).</summary>
    public double Median
    {
        get
        {
            var s = Values.Order().ToArray();
            return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    public bool Met => Goal.Met(Median);
}
