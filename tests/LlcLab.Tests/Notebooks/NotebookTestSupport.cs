using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace LlcLab.Tests.Notebooks;

/// <summary>Tests that start the real kernel run one at a time (each is a dotnet-interactive process).</summary>
[CollectionDefinition("Kernel", DisableParallelization = true)]
public class KernelCollection { }

/// <summary>A code cell with tags (e.g. "parameters").</summary>
internal sealed record Tagged(string Code, params string[] Tags);

/// <summary>Builds small notebooks in a fresh folder and reads executed ones.</summary>
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

    /// <summary>A new empty folder under the test output (inside the repository, so the kernel's tool manifest is found).</summary>
    public static string NewFolder(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "notebook-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The suite's first cell (as in notebooks/build/src): FSharp.Core pin, Plotly.NET, LlcLab.</summary>
    public static string SuiteHeader()
    {
        string src = File.ReadAllText(Path.Combine(RepoRoot, "notebooks", "build", "src", "00-quickstart.txt"));
        int start = src.IndexOf("#!csharp\n", StringComparison.Ordinal) + "#!csharp\n".Length;
        int end = src.IndexOf("\n#!", start, StringComparison.Ordinal);
        string dll = Path.Combine(RepoRoot, "lib", "LlcLab", "bin", "Release", "net10.0", "LlcLab.dll");
        return src[start..end].Replace("#r \"../lib/LlcLab/bin/Release/net10.0/LlcLab.dll\"", $"#r \"{dll}\"", StringComparison.Ordinal);
    }

    /// <summary>Writes a notebook with the given cells: "md:…" strings are markdown, other strings code, <see cref="Tagged"/> tagged code.</summary>
    public static string Write(string folder, string fileName, params object[] cells)
    {
        var doc = new InteractiveDocument();
        foreach (var c in cells)
            doc.Add(c switch
            {
                Tagged t => NotebookDocument.CodeCell(t.Code, t.Tags),
                string s when s.StartsWith("md:", StringComparison.Ordinal) => new InteractiveDocumentElement(s[3..], "markdown"),
                string s => NotebookDocument.CodeCell(s),
                _ => throw new ArgumentException("cell must be a string or Tagged"),
            });
        foreach (var (k, v) in new Dictionary<string, object>
        {
            ["kernelspec"] = new Dictionary<string, object> { ["display_name"] = PolyglotFormat.KernelSpecDisplayName, ["language"] = PolyglotFormat.KernelSpecLanguage, ["name"] = PolyglotFormat.KernelSpecName },
            ["language_info"] = new Dictionary<string, object> { ["name"] = PolyglotFormat.LanguageInfoName },
            ["polyglot_notebook"] = new Dictionary<string, object>
            {
                ["kernelInfo"] = new Dictionary<string, object>
                {
                    ["defaultKernelName"] = PolyglotFormat.KernelName,
                    ["items"] = new List<object> { new Dictionary<string, object> { ["aliases"] = new List<object>(), ["name"] = PolyglotFormat.KernelName } },
                },
            },
        }) doc.Metadata[k] = v;
        string path = Path.Combine(folder, fileName);
        NotebookDocument.Save(doc, path);
        return path;
    }

    public static NotebookRunResult Run(string path, ExecutionOptions? options = null) =>
        NotebookExecutor.Run(path, (options ?? new ExecutionOptions()) with { Progress = TextWriter.Null, RenderPng = options?.RenderPng ?? false });

    /// <summary>All text of a cell's outputs of one kind: "stdout"/"stderr" streams, "error", or a MIME type of rich outputs.</summary>
    public static string OutputText(InteractiveDocument nb, int cellIndex, string what)
    {
        var parts = new List<string>();
        foreach (var o in nb.Elements[cellIndex].Outputs)
        {
            switch (o)
            {
                case TextElement t when t.Name == what: parts.Add(t.Text); break;
                case ErrorElement e when what == "error": parts.Add(e.ErrorName + ": " + e.ErrorValue); break;
                case DisplayElement d when d.Data.TryGetValue(what, out var v): parts.Add(v?.ToString() ?? ""); break;
                case ReturnValueElement r when r.Data.TryGetValue(what, out var v): parts.Add(v?.ToString() ?? ""); break;
            }
        }
        return string.Concat(parts);
    }
}
