using System.CommandLine;
using LlcLab.Cli.Options;
using LlcLab.IO;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>The features (memory-mapped, streamed in chunks) and the concept (in memory) of <c>llclab erase</c>.
/// <see cref="Source"/> is the <c>--data</c> value, for error messages. Disposing unmaps X and removes the temporary
/// file a built-in data set was written to.</summary>
public sealed class EraseInput(NpyReader x, Tensor? z, string source, string? tempFile) : IDisposable
{
    public NpyReader X { get; } = x;
    public Tensor? Z { get; } = z;
    public string Source { get; } = source;

    public void Dispose()
    {
        X.Dispose();
        Z?.Dispose();
        if (tempFile is not null) try { File.Delete(tempFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The features X and concept Z of <c>llclab erase</c>: either a built-in data set (its <c>--subset</c> rows, the concept by
/// name) or <c>--data X.npy</c> with <c>--concept Z.npy</c> (all rows; X keeps its dtype and is memory-mapped, never read
/// whole). Checked here: shapes, dtypes, row counts and the concept's NaN/∞, each error naming the flag; X's NaN/∞ are
/// found on the streaming pass (<see cref="NonFiniteFeatures"/> names the flag).
/// </summary>
public static class EraseInputs
{
    public static EraseInput Read(ParseResult r, DataOptions data, Option<string> subset, Option<string?> conceptOpt)
    {
        var dataArg = r.GetValue(data.Data) ?? throw new ArgumentException("--data is required: X.npy (features [n, d]) or a built-in data set name.");
        var concept = r.GetValue(conceptOpt);
        if (BuiltinData.IsBuiltin(dataArg))
        {
            var which = Check.OneOf("--subset", r.GetValue(subset)!, "train", "test", "all");
            var loaded = DataOptions.Load(data.Read(r));
            var ds = loaded.Subset(which);
            if (ds.X.dim() != 2 || !ds.X.is_floating_point())
                throw new ArgumentException($"--data {dataArg} holds {ds.X.dtype} [{string.Join(", ", ds.X.shape)}], not features [n, d]; erasers act on float features.");
            Tensor? z = null;
            if (concept is not null)
                z = concept.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
                    ? throw new ArgumentException($"--concept {concept}: with a built-in --data give a concept name ({string.Join(", ", ds.ConceptNames)}), not a file.")
                    : ds.Concepts.TryGetValue(concept, out var c) ? c.alias()
                    : throw new ArgumentException($"--concept {concept}: --data {dataArg} has no such concept. Concepts: {(ds.Concepts.Count == 0 ? "(none)" : string.Join(", ", ds.ConceptNames))}.");
            // One streaming code path for every input: the (small) built-in features go to a temporary .npy outside the
            // output folder, removed on dispose.
            var tmp = Path.Combine(Path.GetTempPath(), $"llclab-erase-{Guid.NewGuid():N}.npy");
            using (var cpu = ds.X.cpu()) Npy.Write(tmp, cpu);
            return new EraseInput(NpyReader.Open(tmp), z, dataArg, tmp);
        }
        if (!dataArg.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--data {dataArg}: erase reads features from an X .npy file or a built-in data set ({BuiltinData.Names}).");
        if (r.GetValue(data.Labels) is not null) throw new ArgumentException("--labels is not used by erase; the concept goes in --concept Z.npy.");
        var x = Open("--data", dataArg, NpyReader.Open);
        try
        {
            if (x.Shape.Length != 2 || x.DType is not (ScalarType.Float32 or ScalarType.Float64))
                throw new ArgumentException($"--data {dataArg} must be a float32/float64 matrix [n, d]; got {x.DType} [{string.Join(", ", x.Shape)}].");
            if (x.Rows == 0) throw new ArgumentException($"--data {dataArg} has no rows.");
            if (concept is null) return new EraseInput(x, null, dataArg, null);
            if (!concept.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--concept {concept}: with --data X.npy the concept must be a .npy file (Z.npy); names are for built-in data sets.");
            var zf = Open("--concept", concept, Npy.Read);
            if (zf.dim() is < 1 or > 2 || zf.shape[0] != x.Rows)
            {
                zf.Dispose();
                throw new ArgumentException($"--concept {concept} has shape [{string.Join(", ", zf.shape)}] but --data has {x.Rows} rows; Z must be [{x.Rows}] or [{x.Rows}, k].");
            }
            DataChecks.NonFinite(zf, $"--concept {concept}", "concept values");
            return new EraseInput(x, zf, dataArg, null);
        }
        catch { x.Dispose(); throw; }
    }

    /// <summary>Whether <paramref name="e"/> is the erasers' NaN/∞ check on streamed rows (rethrown naming <c>--data</c>).</summary>
    public static bool NonFiniteFeatures(ArgumentException e) => e.Message.Contains("NaN or infinite", StringComparison.Ordinal);

    static T Open<T>(string flag, string path, Func<string, T> open)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{flag} {path}: no such file ('{Path.GetFullPath(path)}').");
        try { return open(path); }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new ArgumentException($"{flag} {path}: {e.Message}", e);
        }
    }
}
