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
        Notebook nb;
        try { nb = Notebook.Load(path); }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { return [e.Message]; }
        return Validate(nb);
    }

    public static IReadOnlyList<string> Validate(Notebook nb)
    {
        var problems = new List<string>();
        var root = nb.Json;
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

        for (int i = 0; i < nb.Cells.Count; i++)
        {
            var cell = nb.Cells[i];
            string where = $"cell {i + 1}";
            if (cell.Json["source"] is not (JsonArray or JsonValue))
                problems.Add($"{where}: \"source\" must be a string or a list of strings.");
            else if (cell.Json["source"] is JsonArray src && src.Any(n => n is not JsonValue v || !v.TryGetValue<string>(out _)))
                problems.Add($"{where}: \"source\" lines must be strings.");
            if (cell.Json["metadata"] is not JsonObject)
                problems.Add($"{where}: \"metadata\" object is missing.");
            switch (cell.CellType)
            {
                case "code":
                    Expect(problems, cell.Metadata, "polyglot_notebook.kernelName", PolyglotFormat.KernelName, where);
                    Expect(problems, cell.Metadata, "dotnet_interactive.language", PolyglotFormat.KernelName, where);
                    if (cell.Json["outputs"] is not JsonArray) problems.Add($"{where}: code cell needs an \"outputs\" array.");
                    if (!cell.Json.ContainsKey("execution_count")) problems.Add($"{where}: code cell needs \"execution_count\" (null when not run).");
                    break;
                case "markdown":
                    if (cell.Json.ContainsKey("outputs")) problems.Add($"{where}: a markdown cell must not have outputs.");
                    if (cell.Json["metadata"] is JsonObject m && (m.ContainsKey("polyglot_notebook") || m.ContainsKey("dotnet_interactive")))
                        problems.Add($"{where}: a markdown cell should have plain metadata (no kernel).");
                    break;
                case "raw":
                    break;
                default:
                    problems.Add($"{where}: unknown cell_type \"{cell.CellType}\" (code, markdown or raw).");
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
