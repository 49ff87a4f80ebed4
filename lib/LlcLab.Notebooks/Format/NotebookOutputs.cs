using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Format;

/// <summary>Builds nbformat 4 output objects (<c>stream</c>, <c>display_data</c>, <c>execute_result</c>, <c>error</c>).</summary>
public static class NotebookOutputs
{
    public static JsonObject Stream(string name, string text) => new()
    {
        ["name"] = name,
        ["output_type"] = "stream",
        ["text"] = NotebookCell.SourceToJson(text),
    };

    /// <summary>A rich output: <paramref name="data"/> maps MIME types (<c>text/html</c>, <c>text/plain</c>) to text.</summary>
    public static JsonObject DisplayData(IReadOnlyDictionary<string, string> data) => new()
    {
        ["data"] = Data(data),
        ["metadata"] = new JsonObject(),
        ["output_type"] = "display_data",
    };

    public static JsonObject ExecuteResult(IReadOnlyDictionary<string, string> data, int executionCount) => new()
    {
        ["data"] = Data(data),
        ["execution_count"] = executionCount,
        ["metadata"] = new JsonObject(),
        ["output_type"] = "execute_result",
    };

    public static JsonObject Error(string ename, string evalue, IEnumerable<string> traceback) => new()
    {
        ["ename"] = ename,
        ["evalue"] = evalue,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(traceback.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
    };

    static JsonObject Data(IReadOnlyDictionary<string, string> data)
    {
        var o = new JsonObject();
        foreach (var (mime, text) in data.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o[mime] = NotebookCell.SourceToJson(text);
        return o;
    }
}
