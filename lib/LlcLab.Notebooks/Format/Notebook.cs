using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Format;

/// <summary>
/// An .ipynb notebook (nbformat 4) read and written with System.Text.Json. The JSON tree is kept
/// as read, so unknown fields survive a round trip; <see cref="Cells"/> are views over it.
/// </summary>
public sealed class Notebook
{
    public JsonObject Json { get; }
    public List<NotebookCell> Cells { get; }

    Notebook(JsonObject json)
    {
        Json = json;
        Cells = (json["cells"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new NotebookCell(c)).ToList();
    }

    /// <summary>A new empty C# Polyglot notebook with VS Code's metadata.</summary>
    public static Notebook Create(IEnumerable<NotebookCell>? cells = null)
    {
        var nb = new Notebook(new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = PolyglotFormat.NotebookMetadata(),
            ["nbformat"] = PolyglotFormat.NbFormat,
            ["nbformat_minor"] = PolyglotFormat.NbFormatMinor,
        });
        if (cells is not null) nb.Cells.AddRange(cells);
        return nb;
    }

    /// <summary>Reads a notebook. Throws <see cref="InvalidDataException"/> naming the file when it is not nbformat JSON.</summary>
    public static Notebook Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Notebook not found: {path}", path);
        try { return Parse(File.ReadAllText(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static Notebook Parse(string json)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"not valid JSON ({e.Message}).", e); }
        if (node is not JsonObject obj) throw new InvalidDataException("a notebook must be a JSON object with a \"cells\" array.");
        if (obj["cells"] is not JsonArray) throw new InvalidDataException("missing the \"cells\" array (is this an .ipynb notebook?).");
        return new Notebook(obj);
    }

    /// <summary>A deep copy (used to execute without touching the original).</summary>
    public Notebook Clone() => new((JsonObject)JsonNode.Parse(ToJson())!);

    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        // Keep <, >, & and non-ASCII readable, as Jupyter and VS Code write them.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The notebook as Jupyter-style JSON (one-space indent, trailing newline).</summary>
    public string ToJson()
    {
        // Rebuild "cells" from the Cells list (cells may have been inserted, removed or reordered).
        var arr = Json["cells"] as JsonArray ?? new JsonArray();
        arr.Clear();
        Json["cells"] = arr;
        for (int i = 0; i < Cells.Count; i++)
        {
            var cell = Cells[i];
            if (cell.Json.Parent is not null) Cells[i] = cell = new NotebookCell((JsonObject)cell.Json.DeepClone());
            arr.Add(cell.Json);
        }
        return Json.ToJsonString(WriteOptions) + "\n";
    }

    /// <summary>Writes atomically (temp file + rename).</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, ToJson(), new UTF8Encoding(false));
        File.Move(tmp, full, overwrite: true);
    }
}
