using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Format;

/// <summary>
/// Checks that a notebook is a C# Polyglot notebook VS Code opens as such (see <see cref="PolyglotFormat"/>):
/// nbformat 4, kernelspec <c>.net-csharp</c>, <c>language_info.name = polyglot-notebook</c>, kernelInfo with
/// default kernel <c>csharp</c>, every code cell with <c>polyglot_notebook.kernelName = csharp</c> and
/// <c>dotnet_interactive.language = csharp</c>, markdown cells without outputs, well-formed sources.
/// </summary>
public static class NotebookValidator
{
    /// <summary>Problems found in the file (empty when valid). Each names the cell (1-based) where relevant.</summary>
    public static IReadOnlyList<string> Validate(string path)
    {
        if (!File.Exists(path)) return [$"No notebook at {path}."];
        JsonObject? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (System.Text.Json.JsonException e) { return [$"{path} is not JSON: {e.Message}"]; }
        if (root is null) return [$"{path}: the top level must be a JSON object."];
        var problems = Validate(root);
        // The kernel's own reader must accept it too (it is what VS Code and the executor use).
        try { NotebookDocument.Load(path); }
        catch (InvalidDataException e) { problems.Add(e.Message); }
        return problems;
    }

    /// <summary>Problems in a parsed .ipynb (its top-level JSON object).</summary>
    public static List<string> Validate(JsonObject root)
    {
        var problems = new List<string>();
        if (Int(root["nbformat"]) != PolyglotFormat.NbFormat)
            problems.Add($"nbformat must be {PolyglotFormat.NbFormat} (found {root["nbformat"]?.ToJsonString() ?? "nothing"}).");
        if (Int(root["nbformat_minor"]) is null)
            problems.Add("nbformat_minor is missing.");

        var meta = root["metadata"] as JsonObject;
        if (meta is null) { problems.Add("notebook metadata is missing."); meta = new JsonObject(); }
        Expect(problems, meta, "kernelspec.name", PolyglotFormat.KernelSpecName);
        Expect(problems, meta, "kernelspec.display_name", PolyglotFormat.KernelSpecDisplayName);
        Expect(problems, meta, "kernelspec.language", PolyglotFormat.KernelSpecLanguage);
        Expect(problems, meta, "language_info.name", PolyglotFormat.LanguageInfoName);
        Expect(problems, meta, "polyglot_notebook.kernelInfo.defaultKernelName", PolyglotFormat.KernelName);
        var items = meta["polyglot_notebook"]?["kernelInfo"]?["items"] as JsonArray;
        if (items is null || !items.OfType<JsonObject>().Any(i => Str(i["name"]) == PolyglotFormat.KernelName))
            problems.Add($"metadata.polyglot_notebook.kernelInfo.items must list the kernel \"{PolyglotFormat.KernelName}\".");

        var cells = root["cells"] as JsonArray;
        if (cells is null) { problems.Add("\"cells\" must be a list."); cells = []; }
        for (int i = 0; i < cells.Count; i++)
        {
            string where = $"cell {i + 1}";
            if (cells[i] is not JsonObject cell) { problems.Add($"{where}: must be an object."); continue; }
            var cellMeta = cell["metadata"] as JsonObject ?? new JsonObject();
            if (cell["source"] is not (JsonArray or JsonValue))
                problems.Add($"{where}: \"source\" must be a string or a list of strings.");
            else if (cell["source"] is JsonArray src && src.Any(n => n is not JsonValue v || !v.TryGetValue<string>(out _)))
                problems.Add($"{where}: \"source\" lines must be strings.");
            if (cell["metadata"] is not JsonObject)
                problems.Add($"{where}: \"metadata\" object is missing.");
            string? cellType = Str(cell["cell_type"]);
            switch (cellType)
            {
                case "code":
                    Expect(problems, cellMeta, "polyglot_notebook.kernelName", PolyglotFormat.KernelName, where);
                    Expect(problems, cellMeta, "dotnet_interactive.language", PolyglotFormat.KernelName, where);
                    if (cell["outputs"] is not JsonArray) problems.Add($"{where}: code cell needs an \"outputs\" array.");
                    if (!cell.ContainsKey("execution_count")) problems.Add($"{where}: code cell needs \"execution_count\" (null when not run).");
                    break;
                case "markdown":
                    if (cell.ContainsKey("outputs")) problems.Add($"{where}: a markdown cell must not have outputs.");
                    if (cell["metadata"] is JsonObject m && (m.ContainsKey("polyglot_notebook") || m.ContainsKey("dotnet_interactive")))
                        problems.Add($"{where}: a markdown cell should have plain metadata (no kernel).");
                    break;
                case "raw":
                    break;
                default:
                    problems.Add($"{where}: unknown cell_type \"{cellType}\" (code, markdown or raw).");
                    break;
            }
        }
        return problems;
    }

    static void Expect(List<string> problems, JsonObject root, string dotted, string expected, string? where = null)
    {
        JsonNode? node = root;
        foreach (var part in dotted.Split('.')) node = node is JsonObject o ? o[part] : null;
        string? actual = Str(node);
        if (actual != expected)
            problems.Add($"{(where is null ? "" : where + ": ")}metadata.{dotted} must be \"{expected}\" (found {(actual is null ? "nothing" : $"\"{actual}\"")}).");
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    static int? Int(JsonNode? n) => n is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
}
