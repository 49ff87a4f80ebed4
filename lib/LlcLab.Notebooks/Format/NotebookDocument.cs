using LlcLab.Notebooks.Shared;
using System.Text.Json;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace LlcLab.Notebooks.Format;

/// <summary>
/// Reading and writing <c>.ipynb</c> files with Microsoft.DotNet.Interactive.Documents (the reader and
/// writer of .NET Interactive itself), for C# Polyglot notebooks.
/// </summary>
public static class NotebookDocument
{
    /// <summary>The kernels a suite notebook uses (C#, as VS Code writes it).</summary>
    public static KernelInfoCollection Kernels()
    {
        var k = new KernelInfoCollection { new KernelInfo(PolyglotFormat.KernelName, "C#", ["c#", "C#"]) };
        k.DefaultKernelName = PolyglotFormat.KernelName;
        return k;
    }

    /// <summary>Reads a notebook.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable .ipynb (the reason is in the message).</exception>
    public static InteractiveDocument Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No notebook at {path}.", path);
        try
        {
            using var s = File.OpenRead(path);
            return Notebook.Read(s, Kernels());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a readable .ipynb notebook: {e.Message}", e);
        }
    }

    /// <summary>Writes a notebook atomically (temp file, then rename).</summary>
    public static void Save(InteractiveDocument doc, string path)
    {
        AtomicFile.Write(path, s => Notebook.Write(doc, s, Kernels()));
    }

    /// <summary>A deep copy (through the file format).</summary>
    public static InteractiveDocument Clone(InteractiveDocument doc)
    {
        using var s = new MemoryStream();
        Notebook.Write(doc, s, Kernels());
        s.Position = 0;
        return Notebook.Read(s, Kernels());
    }

    /// <summary>True for a code cell (any kernel but markdown).</summary>
    public static bool IsCode(this InteractiveDocumentElement e) => !string.Equals(e.KernelName, "markdown", StringComparison.OrdinalIgnoreCase);

    /// <summary>The cell's <c>metadata.tags</c>.</summary>
    public static IReadOnlyList<string> Tags(this InteractiveDocumentElement e)
    {
        if (e.Metadata is null || !e.Metadata.TryGetValue("tags", out var tags) || tags is null) return [];
        return tags switch
        {
            IEnumerable<string> list => list.ToList(),
            JsonElement { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList(),
            IEnumerable<object> objs => objs.Select(o => o?.ToString() ?? "").ToList(),
            _ => [],
        };
    }

    /// <summary>A new C# code cell with the metadata VS Code writes and the given tags.</summary>
    public static InteractiveDocumentElement CodeCell(string code, params string[] tags)
    {
        var e = new InteractiveDocumentElement(code, PolyglotFormat.KernelName);
        e.Metadata ??= new Dictionary<string, object>();
        e.Metadata["dotnet_interactive"] = new Dictionary<string, object> { ["language"] = PolyglotFormat.KernelName };
        e.Metadata["polyglot_notebook"] = new Dictionary<string, object> { ["kernelName"] = PolyglotFormat.KernelName };
        if (tags.Length > 0) e.Metadata["tags"] = tags.ToList();
        return e;
    }
}
