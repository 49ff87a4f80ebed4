using System.Text.Json;
using LlcLab.IO;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Saves and loads fitted erasers for re-use. By extension: <c>.safetensors</c> stores the float64 tensors
/// (<c>left</c> [d, r], <c>right</c> [r, d], <c>mean</c> [d]; oracle: <c>coefficients</c> [d, k], <c>mean_z</c> [k]) with
/// metadata <c>format = llclab-eraser/1</c> and <c>method</c>; anything else is JSON with the same fields as nested
/// arrays (doubles round-trip exactly). Writes are atomic.
/// </summary>
public static class EraserFile
{
    public const string Format = "llclab-eraser/1";

    sealed record Dto(string Format, string Method, long Dim, double[][]? Left = null, double[][]? Right = null, double[]? Mean = null,
                      double[][]? Coefficients = null, double[]? MeanZ = null);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static bool IsSafeTensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>Saves an affine eraser (LEACE, orth, meandiff, INLP, RLACE).</summary>
    public static void Save(string path, AffineEraser eraser)
    {
        if (IsSafeTensors(path))
        {
            using var l = eraser.Left.cpu(); using var r = eraser.Right.cpu(); using var m = eraser.Mean.cpu();
            SafeTensors.Write(path, new Dictionary<string, Tensor> { ["left"] = l, ["right"] = r, ["mean"] = m },
                              new Dictionary<string, string> { ["format"] = Format, ["method"] = eraser.Method });
            return;
        }
        var dto = new Dto(Format, eraser.Method, eraser.Dim, Rows(eraser.Left), Rows(eraser.Right), Vector(eraser.Mean));
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(dto, Json));
    }

    /// <summary>Saves an oracle eraser.</summary>
    public static void Save(string path, OracleEraser eraser)
    {
        if (IsSafeTensors(path))
        {
            using var c = eraser.Coefficients.cpu(); using var m = eraser.MeanZ.cpu();
            SafeTensors.Write(path, new Dictionary<string, Tensor> { ["coefficients"] = c, ["mean_z"] = m },
                              new Dictionary<string, string> { ["format"] = Format, ["method"] = "oracle" });
            return;
        }
        var dto = new Dto(Format, "oracle", eraser.Dim, Coefficients: Rows(eraser.Coefficients), MeanZ: Vector(eraser.MeanZ));
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(dto, Json));
    }

    /// <summary>Reads the method name stored in an eraser file (leace, orth, meandiff, inlp, rlace or oracle).</summary>
    public static string ReadMethod(string path) => Read(path).Method;

    /// <summary>Loads an affine eraser (on the CPU; it moves its parameters to the input's device when applied).</summary>
    public static AffineEraser Load(string path)
    {
        var f = Read(path);
        if (f.Method == "oracle") throw new InvalidDataException($"'{path}' holds an oracle eraser, which needs the concept at inference; load it with EraserFile.LoadOracle.");
        if (f.Left is null || f.Right is null || f.Mean is null) throw new InvalidDataException($"'{path}' lacks left/right/mean.");
        return new AffineEraser(f.Method, f.Left, f.Right, f.Mean);
    }

    /// <summary>Loads an oracle eraser.</summary>
    public static OracleEraser LoadOracle(string path)
    {
        var f = Read(path);
        if (f.Method != "oracle" || f.Coefficients is null || f.MeanZ is null)
            throw new InvalidDataException($"'{path}' holds a '{f.Method}' eraser, not an oracle eraser; load it with EraserFile.Load.");
        return new OracleEraser(f.Coefficients, f.MeanZ);
    }

    sealed record Loaded(string Method, Tensor? Left, Tensor? Right, Tensor? Mean, Tensor? Coefficients, Tensor? MeanZ);

    static Loaded Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No eraser file at '{Path.GetFullPath(path)}'. Save one with --save-eraser (llclab erase) or EraserFile.Save.", path);
        if (IsSafeTensors(path))
        {
            var (t, meta) = SafeTensors.ReadWithMetadata(path);
            if (!meta.TryGetValue("format", out var fmt) || fmt != Format || !meta.TryGetValue("method", out var method))
                throw new InvalidDataException($"'{path}' is not an llclab eraser file (metadata format = {Format} expected).");
            Tensor? Get(string k) => t.TryGetValue(k, out var v) ? v : null;
            return new Loaded(method, Get("left"), Get("right"), Get("mean"), Get("coefficients"), Get("mean_z"));
        }
        Dto? dto;
        try { dto = JsonSerializer.Deserialize<Dto>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a valid eraser JSON file: {e.Message}", e); }
        if (dto is null || dto.Format != Format) throw new InvalidDataException($"'{path}' is not an llclab eraser file (format = {Format} expected).");
        return new Loaded(dto.Method, Matrix(dto.Left, 0), Matrix(dto.Right, dto.Dim), VectorT(dto.Mean), Matrix(dto.Coefficients, 0), VectorT(dto.MeanZ));
    }

    static double[][] Rows(Tensor t)
    {
        long rows = t.shape[0], cols = t.shape[1];
        if (t.numel() == 0) return Enumerable.Range(0, (int)rows).Select(_ => Array.Empty<double>()).ToArray();
        using var c = t.cpu().contiguous();
        var flat = c.data<double>().ToArray();
        return Enumerable.Range(0, (int)rows).Select(i => flat.AsSpan((int)(i * cols), (int)cols).ToArray()).ToArray();
    }

    static double[] Vector(Tensor t) { using var c = t.cpu().contiguous(); return c.data<double>().ToArray(); }

    static Tensor? Matrix(double[][]? rows, long colsIfEmpty)
    {
        if (rows is null) return null;
        long r = rows.Length;
        long c = r == 0 ? colsIfEmpty : rows[0].Length;
        if (rows.Any(row => row.Length != c)) throw new InvalidDataException("Ragged matrix in eraser file.");
        var flat = rows.SelectMany(x => x).ToArray();
        return flat.Length == 0 ? zeros(r, c, dtype: ScalarType.Float64) : tensor(flat, [r, c], dtype: ScalarType.Float64);
    }

    static Tensor? VectorT(double[]? v) => v is null ? null : tensor(v, dtype: ScalarType.Float64);
}
