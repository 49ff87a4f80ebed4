using System.CommandLine;
using LlcLab.Cli.Options;
using LlcLab.IO;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// The features X and concept Z of <c>llclab erase</c>: either a built-in data set (its <c>--subset</c> rows, the concept by
/// name) or <c>--data X.npy</c> with <c>--concept Z.npy</c> (all rows; X keeps its dtype). Checked here: shapes,
/// dtypes, NaN/∞ and row counts, each error naming the flag.
/// </summary>
public static class EraseInputs
{
    public static (Tensor X, Tensor? Z) Read(ParseResult r, DataOptions data, Option<string> subset, Option<string?> conceptOpt)
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
                    : ds.Concepts.TryGetValue(concept, out var c) ? c
                    : throw new ArgumentException($"--concept {concept}: --data {dataArg} has no such concept. Concepts: {(ds.Concepts.Count == 0 ? "(none)" : string.Join(", ", ds.ConceptNames))}.");
            return (ds.X, z);
        }
        if (!dataArg.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--data {dataArg}: erase reads features from an X .npy file or a built-in data set ({BuiltinData.Names}).");
        if (r.GetValue(data.Labels) is not null) throw new ArgumentException("--labels is not used by erase; the concept goes in --concept Z.npy.");
        var x = ReadNpy("--data", dataArg);
        if (x.dim() != 2 || !x.is_floating_point())
            throw new ArgumentException($"--data {dataArg} must be a float32/float64 matrix [n, d]; got {x.dtype} [{string.Join(", ", x.shape)}].");
        if (x.shape[0] == 0) throw new ArgumentException($"--data {dataArg} has no rows.");
        DataChecks.NonFinite(x, $"--data {dataArg}", "features");
        if (concept is null) return (x, null);
        if (!concept.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--concept {concept}: with --data X.npy the concept must be a .npy file (Z.npy); names are for built-in data sets.");
        var zf = ReadNpy("--concept", concept);
        if (zf.dim() is < 1 or > 2 || zf.shape[0] != x.shape[0])
            throw new ArgumentException($"--concept {concept} has shape [{string.Join(", ", zf.shape)}] but --data has {x.shape[0]} rows; Z must be [{x.shape[0]}] or [{x.shape[0]}, k].");
        DataChecks.NonFinite(zf, $"--concept {concept}", "concept values");
        return (x, zf);
    }

    static Tensor ReadNpy(string flag, string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{flag} {path}: no such file ('{Path.GetFullPath(path)}').");
        try { return Npy.Read(path); }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new ArgumentException($"{flag} {path}: {e.Message}", e);
        }
    }
}
