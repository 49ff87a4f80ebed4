using System.Globalization;
using System.IO.Compression;
using LlcLab.IO;
using static TorchSharp.torch;

namespace LlcLab.Data;

public sealed partial record Dataset
{
    /// <summary>
    /// Loads inputs and targets from two .npy files (e.g. saved with <c>np.save</c>). X becomes float32,
    /// or int64 when <paramref name="tokens"/> is true (token ids for sequence models); Y becomes int64
    /// class labels when stored as an integer or bool type, float32 targets when stored as floats.
    /// </summary>
    public static Dataset FromNpy(string xPath, string yPath, bool tokens = false, string? name = null)
    {
        var x = Npy.Read(xPath);
        var y = Npy.Read(yPath);
        if (x.dim() < 1) throw new InvalidDataException($"'{xPath}' holds a scalar; X needs shape [n, ...].");
        if (y.dim() == 2 && y.shape[1] == 1) y = y.squeeze(1);
        if (x.shape[0] != y.shape[0])
            throw new InvalidDataException($"'{xPath}' has {x.shape[0]} rows but '{yPath}' has {y.shape[0]}; they must describe the same examples.");
        return new Dataset(ToX(x, tokens, xPath), ToY(y), null, name ?? Path.GetFileNameWithoutExtension(xPath));
    }

    /// <summary>
    /// Loads a numeric CSV (optionally gzip-compressed, <c>.csv.gz</c>). The label is the column named or
    /// numbered (0-based) by <paramref name="labelColumn"/>, else the last column; every other column is
    /// a feature. A header line is detected automatically (a first line that is not all numbers) unless
    /// <paramref name="header"/> says otherwise. Integer-valued labels become int64 classes, others float32 targets.
    /// </summary>
    public static Dataset FromCsv(string path, string? labelColumn = null, bool? header = null, string? name = null)
    {
        var (names, rows) = ReadNumericCsv(path, header);
        int cols = rows[0].Length;
        if (cols < 2) throw new InvalidDataException($"'{path}' has one column; it needs feature columns and a label column.");
        int label = cols - 1;
        if (labelColumn is not null)
        {
            label = names is not null && Array.IndexOf(names, labelColumn) is var ni and >= 0 ? ni
                : int.TryParse(labelColumn, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ci) && ci >= 0 && ci < cols ? ci
                : throw new ArgumentException($"'{path}' has no column '{labelColumn}'. " +
                    (names is null ? $"It has no header; give a 0-based index below {cols}." : $"Columns: {string.Join(", ", names)}."));
        }
        int n = rows.Count, f = cols - 1;
        var xs = new float[n * f];
        var ys = new double[n];
        for (int i = 0; i < n; i++)
        {
            var r = rows[i];
            for (int j = 0, k = 0; j < cols; j++)
                if (j == label) ys[i] = r[j]; else xs[i * f + k++] = (float)r[j];
        }
        bool integral = ys.All(v => v == Math.Floor(v) && v >= 0);
        var y = integral ? tensor(ys.Select(v => (long)v).ToArray(), ScalarType.Int64) : tensor(ys.Select(v => (float)v).ToArray(), ScalarType.Float32);
        return new Dataset(tensor(xs, [n, f]), y, null, name ?? Path.GetFileName(path).Split('.')[0]);
    }

    static Tensor ToX(Tensor x, bool tokens, string path)
    {
        if (tokens)
        {
            if (x.is_floating_point()) throw new InvalidDataException($"'{path}' holds floats ({x.dtype}) but token ids must be integers.");
            return x.to(ScalarType.Int64);
        }
        return x.to(ScalarType.Float32);
    }

    static Tensor ToY(Tensor y) =>
        y.is_floating_point() ? y.to(ScalarType.Float32) : y.to(ScalarType.Int64);

    /// <summary>Reads a CSV of numbers (invariant culture); returns the header names if any.</summary>
    internal static (string[]? Names, List<double[]> Rows) ReadNumericCsv(string path, bool? header)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No CSV file at '{Path.GetFullPath(path)}'.", path);
        string text;
        using (var fs = File.OpenRead(path))
        using (Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs)
        using (var reader = new StreamReader(s))
            text = reader.ReadToEnd();
        var records = Csv.Parse(text);
        if (records.Count == 0) throw new InvalidDataException($"'{path}' is empty.");
        static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        bool hasHeader = header ?? !records[0].All(IsNumber);
        string[]? names = hasHeader ? records[0].Select(s => s.Trim()).ToArray() : null;
        var rows = new List<double[]>(records.Count);
        int cols = records[0].Length;
        for (int i = hasHeader ? 1 : 0; i < records.Count; i++)
        {
            var rec = records[i];
            if (rec.Length != cols) throw new InvalidDataException($"'{path}' line {i + 1} has {rec.Length} fields; the first line has {cols}.");
            var r = new double[cols];
            for (int j = 0; j < cols; j++)
                if (!double.TryParse(rec[j], NumberStyles.Float, CultureInfo.InvariantCulture, out r[j]))
                    throw new InvalidDataException($"'{path}' line {i + 1}, column {j + 1}: '{rec[j]}' is not a number (use '.' as the decimal separator).");
            rows.Add(r);
        }
        if (rows.Count == 0) throw new InvalidDataException($"'{path}' has a header but no data rows.");
        return (names, rows);
    }
}
