using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;

namespace LlcLab.Tests.Notebooks;

/// <summary>Builds small notebooks in a fresh temp folder and finds the repository.</summary>
internal static class NotebookTestSupport
{
    /// <summary>The repository root (the folder holding LlcNotebooks.sln), found by walking up from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LlcNotebooks.sln"))) return d.FullName;
        throw new InvalidOperationException("LlcNotebooks.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A new empty folder under the test output (removed by the OS temp cleaner, not by tests running in parallel).</summary>
    public static string NewFolder(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "notebook-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Writes a notebook with the given cells; strings starting with "md:" become markdown cells.</summary>
    public static string Write(string folder, string fileName, params object[] cells)
    {
        var nb = Notebook.Create(cells.Select(c => c switch
        {
            NotebookCell cell => cell,
            string s when s.StartsWith("md:", StringComparison.Ordinal) => NotebookCell.Markdown(s[3..]),
            string s => NotebookCell.Code(s),
            _ => throw new ArgumentException("cell must be a string or NotebookCell"),
        }));
        string path = Path.Combine(folder, fileName);
        nb.Save(path);
        return path;
    }

    public static NotebookRunResult Run(string path, ExecutionOptions? options = null) =>
        NotebookExecutor.Run(path, (options ?? new ExecutionOptions()) with { Progress = TextWriter.Null });

    /// <summary>All text of a cell's outputs of one kind (stream text, or the given MIME type of rich outputs).</summary>
    public static string OutputText(Notebook nb, int cellIndex, string what)
    {
        var parts = new List<string>();
        foreach (var o in nb.Cells[cellIndex].Outputs.OfType<System.Text.Json.Nodes.JsonObject>())
        {
            string type = o["output_type"]!.GetValue<string>();
            if (what is "stdout" or "stderr")
            {
                if (type == "stream" && o["name"]!.GetValue<string>() == what) parts.Add(Join(o["text"]));
            }
            else if (what == "error")
            {
                if (type == "error") parts.Add(o["evalue"]!.GetValue<string>());
            }
            else if (type is "display_data" or "execute_result" && o["data"]?[what] is { } d)
                parts.Add(Join(d));
        }
        return string.Concat(parts);
    }

    public static IReadOnlyList<string> OutputTypes(Notebook nb, int cellIndex) =>
        nb.Cells[cellIndex].Outputs.OfType<System.Text.Json.Nodes.JsonObject>().Select(o => o["output_type"]!.GetValue<string>()).ToList();

    static string Join(System.Text.Json.Nodes.JsonNode? n) => n switch
    {
        System.Text.Json.Nodes.JsonArray a => string.Concat(a.Select(x => x!.GetValue<string>())),
        System.Text.Json.Nodes.JsonValue v => v.GetValue<string>(),
        _ => "",
    };
}
