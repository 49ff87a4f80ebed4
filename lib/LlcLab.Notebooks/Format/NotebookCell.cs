using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Format;

/// <summary>One cell of an .ipynb notebook: a thin, lossless view over its JSON object.</summary>
public sealed class NotebookCell
{
    /// <summary>The cell's JSON (every field kept as read, so writing it back loses nothing).</summary>
    public JsonObject Json { get; }

    public NotebookCell(JsonObject json) => Json = json;

    /// <summary>A new C# code cell with Polyglot metadata.</summary>
    public static NotebookCell Code(string source, params string[] tags) => new(new JsonObject
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = PolyglotFormat.CodeCellMetadata(tags),
        ["outputs"] = new JsonArray(),
        ["source"] = SourceToJson(source),
    });

    /// <summary>A new markdown cell (plain: empty metadata).</summary>
    public static NotebookCell Markdown(string source) => new(new JsonObject
    {
        ["cell_type"] = "markdown",
        ["metadata"] = new JsonObject(),
        ["source"] = SourceToJson(source),
    });

    /// <summary><c>code</c>, <c>markdown</c> or <c>raw</c>.</summary>
    public string CellType => Json["cell_type"]?.GetValue<string>() ?? "";
    public bool IsCode => CellType == "code";

    /// <summary>The cell's text (nbformat allows a string or a list of lines).</summary>
    public string Source
    {
        get => Json["source"] switch
        {
            JsonArray a => string.Concat(a.Select(n => n?.GetValue<string>() ?? "")),
            JsonValue v => v.GetValue<string>(),
            _ => "",
        };
        set => Json["source"] = SourceToJson(value);
    }

    public JsonObject Metadata => Json["metadata"] as JsonObject ?? (JsonObject)(Json["metadata"] = new JsonObject());

    /// <summary><c>metadata.tags</c> (papermill uses <c>parameters</c>).</summary>
    public IReadOnlyList<string> Tags => Json["metadata"]?["tags"] is JsonArray a
        ? a.Select(n => n?.GetValue<string>() ?? "").ToList()
        : [];

    /// <summary>The code cell's outputs (created when missing).</summary>
    public JsonArray Outputs => Json["outputs"] as JsonArray ?? (JsonArray)(Json["outputs"] = new JsonArray());

    public int? ExecutionCount
    {
        get => Json["execution_count"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
        set => Json["execution_count"] = value;
    }

    /// <summary>Jupyter's list-of-lines form: every line keeps its "\n" except the last.</summary>
    internal static JsonArray SourceToJson(string source)
    {
        var arr = new JsonArray();
        int start = 0;
        for (int i = 0; i < source.Length; i++)
        {
            if (source[i] != '\n') continue;
            arr.Add(source[start..(i + 1)]);
            start = i + 1;
        }
        if (start < source.Length) arr.Add(source[start..]);
        return arr;
    }
}
