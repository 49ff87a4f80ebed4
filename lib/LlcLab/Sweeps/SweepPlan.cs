using System.Text.Json;
using System.Text.Json.Nodes;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>One planned cell: its position in merge order, identity, label and canonical input.</summary>
public sealed record PlannedCell(int Index, string Id, string Label, string Input);

/// <summary>
/// A sweep folder's manifest (<c>sweep.json</c>): the protocol, its configuration, the code version and the cells with
/// their ids, fixed when the sweep is planned. Workers, status and merge read it instead of re-deriving the grid, so a
/// merge on a login node sees exactly the cells the compute nodes ran; a worker re-derives the id of each cell it runs
/// and refuses a mismatch (the code changed since planning: plan again, which gives new ids and never reuses old shards).
/// </summary>
public sealed record SweepPlan(string Protocol, string CodeVersion, string Config, IReadOnlyList<PlannedCell> Cells)
{
    /// <summary>File name of the manifest in a sweep folder.</summary>
    public const string FileName = "sweep.json";

    /// <summary>Plans <paramref name="configJson"/> of <paramref name="protocol"/> at code version <paramref name="codeVersion"/>.</summary>
    public static SweepPlan Create(ISweepProtocol protocol, string configJson, string? codeVersion = null)
    {
        string version = codeVersion ?? Sweeps.CodeVersion.Current;
        string config = protocol.CanonicalConfig(configJson);
        var cells = protocol.Cells(config)
            .Select((c, i) => new PlannedCell(i, CellId.Compute(protocol.Name, c.Input, version), c.Label, c.Input)).ToList();
        if (cells.Count == 0) throw new InvalidDataException($"The {protocol.Name} configuration gives no cells.");
        var dup = cells.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"Cells {string.Join(" and ", dup.Select(c => $"'{c.Label}'"))} have the same input; remove the duplicate from the configuration.");
        return new SweepPlan(protocol.Name, version, config, cells);
    }

    /// <summary>The cell with id <paramref name="id"/>.</summary>
    public PlannedCell Cell(string id) => Cells.FirstOrDefault(c => c.Id == id)
        ?? throw new ArgumentException($"No cell '{id}' in this sweep (see `llclab sweep status`).");

    /// <summary>Writes <c>sweep.json</c> into <paramref name="folder"/> atomically.</summary>
    public void Save(string folder)
    {
        var json = new JsonObject
        {
            ["format"] = 1,
            ["protocol"] = Protocol,
            ["code_version"] = CodeVersion,
            ["config"] = JsonNode.Parse(Config),
            ["cells"] = new JsonArray(Cells.Select(c => (JsonNode)new JsonObject
            {
                ["index"] = c.Index, ["id"] = c.Id, ["label"] = c.Label, ["input"] = JsonNode.Parse(c.Input),
            }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), json.ToJsonString(SweepJson.Indented) + "\n");
    }

    /// <summary>Set by <c>llclab notebooks run</c> for the kernel: the directory the command was started from.</summary>
    public const string CallerDirVariable = "LLCLAB_CALLER_DIR";

    /// <summary>A sweep folder as given, or — when it is relative and not a sweep from the current directory (a kernel runs in the
    /// notebook's folder) — resolved from the directory <c>llclab notebooks run</c> was started in (<see cref="CallerDirVariable"/>), so
    /// <c>-p sweepDir=notebooks/reference-results/sweeps/rq2</c> means what it says from the repository root.</summary>
    public static string ResolveFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (Path.IsPathRooted(folder) || File.Exists(Path.Combine(folder, FileName))) return folder;
        string? caller = Environment.GetEnvironmentVariable(CallerDirVariable);
        if (!string.IsNullOrEmpty(caller) && File.Exists(Path.Combine(caller, folder, FileName))) return Path.Combine(caller, folder);
        return folder;
    }

    /// <summary>Reads the manifest of a sweep folder (clear errors for a missing or damaged one).</summary>
    public static SweepPlan Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            string? caller = Environment.GetEnvironmentVariable(CallerDirVariable);
            string also = Path.IsPathRooted(folder) || string.IsNullOrEmpty(caller) ? "" : $" nor '{Path.GetFullPath(Path.Combine(caller, folder))}'";
            throw new FileNotFoundException($"'{Path.GetFullPath(folder)}'{also} is not a planned sweep (no {FileName}); run `llclab sweep plan --protocol NAME --out {folder}` first.", path);
        }
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if ((int?)root["format"] != 1) throw new InvalidDataException($"unsupported format {root["format"]?.ToJsonString() ?? "(none)"}.");
            string Str(JsonNode? n, string key) => (string?)n?[key] ?? throw new InvalidDataException($"missing '{key}'.");
            var cells = root["cells"]!.AsArray().Select(n => new PlannedCell(
                (int?)n!["index"] ?? throw new InvalidDataException("a cell lacks 'index'."), Str(n, "id"), Str(n, "label"),
                n["input"]?.ToJsonString() ?? throw new InvalidDataException("a cell lacks 'input'."))).ToList();
            for (int i = 0; i < cells.Count; i++)
                if (cells[i].Index != i) throw new InvalidDataException($"cell {i} has index {cells[i].Index}.");
            return new SweepPlan(Str(root, "protocol"), Str(root, "code_version"), root["config"]?.ToJsonString() ?? "{}", cells);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or InvalidDataException)
        {
            throw new InvalidDataException($"'{path}' is damaged: {e.Message}", e);
        }
    }

    /// <summary>Whether <paramref name="folder"/> holds a plan.</summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, FileName));
}
