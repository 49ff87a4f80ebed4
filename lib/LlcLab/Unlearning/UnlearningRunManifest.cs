using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlcLab.IO;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// The identity of an unlearning run, stored as <c>manifest.json</c> in its folder: everything that determines its
/// results — the model's weights (SHA-256), the exact forget rows (SHA-256 of their indices), the set sizes, the
/// procedure and its hyperparameters, the seed, the metrics, the code version, plus caller-supplied provenance (for the
/// CLI: the model file's hash, the data, data and split seeds). Resuming into a folder whose manifest differs in any of
/// these is refused with the field and both values, so old results are never shown as a new run's. One exception: a
/// larger <c>hp.steps</c> extends a finished run when the procedure's trajectory is a prefix of the longer one
/// (<see cref="IUnlearningProcedure.StepsExtendPrefix"/>). Numbers are JSON numbers. <c>status</c> (running, finished,
/// interrupted, failed) and <c>error</c> describe the last invocation and are not part of the identity.
/// </summary>
public static class UnlearningRunManifest
{
    /// <summary>Fields that describe the last invocation rather than the run.</summary>
    public static readonly IReadOnlySet<string> StateFields = new HashSet<string> { "status", "error" };

    public const string StepsField = "hp.steps";

    /// <summary>The manifest of a run, as an ordered JSON object.</summary>
    public static JsonObject Build(Network original, UnlearningData data, IUnlearningProcedure procedure,
        IReadOnlyList<ICheckpointMetric> metrics, long seed, UnlearningRunOptions o)
    {
        var m = new JsonObject
        {
            ["experiment"] = o.Experiment,
            ["model"] = original.Spec.Text,
            ["model_weights_sha256"] = WeightsHash(original),
            ["procedure"] = procedure.Name,
            ["seed"] = seed,
            ["metrics"] = string.Join(",", metrics.Select(x => x.Name)),
            ["n_forget"] = data.Forget.Count,
            ["n_retain"] = data.Retain.Count,
            ["n_test"] = data.Test?.Count ?? 0,
            ["forget_indices_sha256"] = ForgetHash(data.Forget),
            ["retrain_gap"] = o.RetrainGap is not null,
            ["code_version"] = CodeVersion,
        };
        foreach (var (k, v) in o.Provenance) m[k] = Value(v);
        foreach (var (k, v) in procedure.Hyperparameters) m["hp." + k] = Value(v);
        m["status"] = "running";
        return m;
    }

    /// <summary>The LlcLab build that produced a run (assembly informational version, with the commit when known).</summary>
    public static string CodeVersion { get; } =
        typeof(UnlearningRunManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(UnlearningRunManifest).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// Compares a stored manifest with the requested one. Returns the manifest to store (the requested one; for an
    /// extension, with the larger step count). Throws naming every differing field with both values.
    /// </summary>
    public static JsonObject Reconcile(string dir, JsonObject stored, JsonObject requested, IUnlearningProcedure procedure)
    {
        var diffs = new List<string>();
        foreach (var key in requested.Select(kv => kv.Key).Union(stored.Select(kv => kv.Key)))
        {
            if (StateFields.Contains(key)) continue;
            string? was = Canonical(stored[key]), now = Canonical(requested[key]);
            if (was == now) continue;
            if (key == StepsField && long.TryParse(was, CultureInfo.InvariantCulture, out var a) && long.TryParse(now, CultureInfo.InvariantCulture, out var b))
            {
                if (b > a && procedure.StepsExtendPrefix) continue; // extend: the stored steps are a prefix of the new run
                diffs.Add(b < a
                    ? $"{key} is {a} in the folder but {b} now (a run cannot be shortened; ask for ≥ {a} steps)"
                    : $"{key} is {a} in the folder but {b} now ({procedure.Name}'s schedule depends on the step count, so it cannot be extended)");
                continue;
            }
            diffs.Add($"{key} is {Short(was) ?? "(absent)"} in the folder but {Short(now) ?? "(absent)"} now");
        }
        if (diffs.Count > 0)
            throw new InvalidOperationException(
                $"The output folder '{dir}' holds a different run: {string.Join("; ", diffs)}. " +
                "Its results would not describe this run: use a new --out folder, or delete this one to start over.");
        return requested;
    }

    /// <summary>A field's value as text: strings as themselves, numbers and booleans as JSON (so "4" and 4 agree, for
    /// manifests written before numbers were numbers).</summary>
    static string? Canonical(JsonNode? n) => n switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "yes" : "no",
        _ => n.ToJsonString(),
    };

    /// <summary>Hashes are shown by their first 12 hex digits (enough to tell them apart).</summary>
    static string? Short(string? v) => v is { Length: 64 } && v.All(Uri.IsHexDigit) ? v[..12] + "…" : v;

    /// <summary>Numbers become JSON numbers; everything else stays a string.</summary>
    static JsonNode? Value(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : JsonValue.Create(d))
            : JsonValue.Create(v);

    public static JsonObject Read(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"'{path}' is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON ({e.Message}); delete the folder to start over.", e); }
    }

    public static void Write(string path, JsonObject manifest) =>
        AtomicFile.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "0.1.0+abc", not "\u002B"
        }) + "\n");

    /// <summary>SHA-256 over the parameters in state-dict order (name, then float bytes).</summary>
    public static string WeightsHash(Network net)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in net.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            h.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var c = t.detach().cpu().contiguous().to(ScalarType.Float32);
            h.AppendData(MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()));
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>SHA-256 of the forget rows' source indices (or of their inputs and labels when no indices are known).</summary>
    public static string ForgetHash(LabelledSubset forget)
    {
        if (forget.Indices is { } ix) return Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(ix.AsSpan())));
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var x = forget.X.cpu().contiguous().to(ScalarType.Float32)) h.AppendData(MemoryMarshal.AsBytes(x.data<float>().ToArray().AsSpan()));
        using (var y = forget.Y.cpu().contiguous()) h.AppendData(MemoryMarshal.AsBytes(y.data<long>().ToArray().AsSpan()));
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
