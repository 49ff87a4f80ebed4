using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlcLab.IO;

/// <summary>
/// A tidy long-format results table (one <see cref="ResultRow"/> per observation) that writes and
/// reads CSV (RFC 4180, invariant culture, round-trip number formatting, LF line ends, empty field =
/// null) and JSON (an array of objects with the snake_case column keys; null for missing values and
/// for non-finite numbers). Files are written atomically; <see cref="Append(string)"/> adds rows to an
/// existing file so interrupted runs can resume.
/// </summary>
public sealed class ResultsTable : IReadOnlyList<ResultRow>
{
    readonly List<ResultRow> rows = [];

    public ResultsTable() { }
    public ResultsTable(IEnumerable<ResultRow> rows) => this.rows.AddRange(rows);

    public int Count => rows.Count;
    public ResultRow this[int index] => rows[index];
    public IReadOnlyList<ResultRow> Rows => rows;

    public ResultsTable Add(ResultRow row) { rows.Add(row ?? throw new ArgumentNullException(nameof(row))); return this; }
    public ResultsTable AddRange(IEnumerable<ResultRow> more) { foreach (var r in more) Add(r); return this; }

    public IEnumerator<ResultRow> GetEnumerator() => rows.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // ---- CSV ----

    /// <summary>The table as CSV text with a header line.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append(Csv.Line(ResultRow.Columns)).Append('\n');
        foreach (var r in rows) sb.Append(Csv.Line(Fields(r))).Append('\n');
        return sb.ToString();
    }

    public void WriteCsv(string path) => AtomicFile.WriteAllText(path, ToCsv());

    public static ResultsTable ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No results CSV at '{Path.GetFullPath(path)}'.", path);
        try { return ParseCsv(File.ReadAllText(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
    }

    public static ResultsTable ParseCsv(string text)
    {
        var records = Csv.Parse(text);
        if (records.Count == 0) throw new InvalidDataException("Empty CSV: expected a header line with columns " + string.Join(",", ResultRow.Columns) + ".");
        var header = records[0];
        var index = ColumnIndex(header);
        var table = new ResultsTable();
        for (int i = 1; i < records.Count; i++)
        {
            var rec = records[i];
            if (rec.Length != header.Length)
                throw new InvalidDataException($"CSV record {i + 1} has {rec.Length} fields but the header has {header.Length}.");
            table.Add(FromFields(name => index.TryGetValue(name, out var j) && rec[j].Length > 0 ? rec[j] : null, $"record {i + 1}"));
        }
        return table;
    }

    static Dictionary<string, int> ColumnIndex(string[] header)
    {
        var index = new Dictionary<string, int>();
        for (int j = 0; j < header.Length; j++)
        {
            var name = header[j].Trim();
            if (!ResultRow.Columns.Contains(name))
                throw new InvalidDataException($"Unknown results column '{name}'. Columns: {string.Join(", ", ResultRow.Columns)}.");
            if (!index.TryAdd(name, j)) throw new InvalidDataException($"Results column '{name}' appears twice.");
        }
        foreach (var required in new[] { "experiment", "model", "metric", "value" })
            if (!index.ContainsKey(required)) throw new InvalidDataException($"The results table lacks the required column '{required}'.");
        return index;
    }

    static string[] Fields(ResultRow r) =>
    [
        r.Experiment, r.Model, r.Procedure, L(r.Step), L(r.Seed), r.Metric, D(r.Value), D(r.Std), L(r.NChains), L(r.NDraws),
        D(r.Lr), D(r.Localization), D(r.Nbeta), r.Layer ?? "", r.DataSubset ?? "", D(r.ElapsedS),
    ];

    static string L(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    static string D(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    static ResultRow FromFields(Func<string, string?> get, string where)
    {
        string Req(string c) => get(c) ?? throw new InvalidDataException($"{where}: the required column '{c}' is empty.");
        long? Long(string c) => get(c) is { } s
            ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"{where}: column '{c}' holds '{s}', not an integer.")
            : null;
        int? Int(string c) => Long(c) is { } v ? checked((int)v) : null;
        double? Dbl(string c) => get(c) is { } s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"{where}: column '{c}' holds '{s}', not a number.")
            : null;
        return new ResultRow
        {
            Experiment = Req("experiment"), Model = Req("model"), Procedure = get("procedure") ?? "none",
            Step = Long("step"), Seed = Long("seed"), Metric = Req("metric"), Value = Dbl("value") ?? double.NaN, Std = Dbl("std"),
            NChains = Int("n_chains"), NDraws = Int("n_draws"), Lr = Dbl("lr"), Localization = Dbl("localization"),
            Nbeta = Dbl("nbeta"), Layer = get("layer"), DataSubset = get("data_subset"), ElapsedS = Dbl("elapsed_s"),
        };
    }

    // ---- JSON ----

    /// <summary>The table as a JSON array of objects with snake_case keys (indented).</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                var f = Fields(r);
                w.WriteStartObject();
                for (int j = 0; j < f.Length; j++)
                {
                    var col = ResultRow.Columns[j];
                    if (j is 0 or 1 or 2 or 5) { w.WriteString(col, f[j]); continue; }
                    if (col is "layer" or "data_subset") { if (f[j].Length == 0) w.WriteNull(col); else w.WriteString(col, f[j]); continue; }
                    if (f[j].Length == 0) { w.WriteNull(col); continue; }
                    var d = double.Parse(f[j], CultureInfo.InvariantCulture);
                    if (!double.IsFinite(d)) { w.WriteNull(col); continue; }
                    w.WritePropertyName(col);
                    w.WriteRawValue(f[j]);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson());

    public static ResultsTable ReadJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No results JSON at '{Path.GetFullPath(path)}'.", path);
        try { return ParseJson(File.ReadAllText(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
    }

    public static ResultsTable ParseJson(string text)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new InvalidDataException($"Results JSON is not valid JSON: {e.Message}", e); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException("Results JSON must be an array of row objects.");
        var table = new ResultsTable();
        int i = 0;
        foreach (var o in doc.RootElement.EnumerateArray())
        {
            i++;
            if (o.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"Results JSON element {i} is not an object.");
            var values = new Dictionary<string, string?>();
            foreach (var p in o.EnumerateObject())
            {
                if (!ResultRow.Columns.Contains(p.Name))
                    throw new InvalidDataException($"Unknown results key '{p.Name}' in element {i}. Keys: {string.Join(", ", ResultRow.Columns)}.");
                values[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    _ => throw new InvalidDataException($"Results key '{p.Name}' in element {i} must be a string, number or null."),
                };
            }
            table.Add(FromFields(c => values.TryGetValue(c, out var v) && !string.IsNullOrEmpty(v) ? v : null, $"element {i}"));
        }
        return table;
    }

    // ---- files by extension ----

    /// <summary>Writes CSV or JSON according to the extension of <paramref name="path"/> (<c>.csv</c> / <c>.json</c>).</summary>
    public void Write(string path)
    {
        if (IsJson(path)) WriteJson(path); else WriteCsv(path);
    }

    /// <summary>Reads CSV or JSON according to the extension.</summary>
    public static ResultsTable Read(string path) => IsJson(path) ? ReadJson(path) : ReadCsv(path);

    /// <summary>Adds this table's rows to the end of the file at <paramref name="path"/> (CSV or JSON by extension),
    /// creating it if missing. The existing file is validated and the result is written atomically.</summary>
    public void Append(string path) => Append(path, rows);

    /// <summary>Adds <paramref name="newRows"/> to the file at <paramref name="path"/> (created if missing), atomically.</summary>
    public static void Append(string path, IEnumerable<ResultRow> newRows)
    {
        var combined = File.Exists(path) && new FileInfo(path).Length > 0 ? Read(path) : new ResultsTable();
        combined.AddRange(newRows);
        combined.Write(path);
    }

    static bool IsJson(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".json" => true,
            ".csv" => false,
            _ => throw new ArgumentException($"Results file '{path}' must end in .csv or .json."),
        };
    }

    public override string ToString() => $"ResultsTable ({rows.Count} rows)";
}
