using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Format;

/// <summary>
/// The exact JSON VS Code's Polyglot Notebooks extension writes for a C# notebook (.ipynb, nbformat 4):
/// notebook metadata <c>kernelspec</c> <c>.net-csharp</c>, <c>language_info.name = "polyglot-notebook"</c>,
/// <c>polyglot_notebook.kernelInfo</c> with default kernel <c>csharp</c>; each code cell carries
/// <c>polyglot_notebook.kernelName = "csharp"</c> and <c>dotnet_interactive.language = "csharp"</c>.
/// </summary>
public static class PolyglotFormat
{
    public const string KernelName = "csharp";
    public const string KernelSpecName = ".net-csharp";
    public const string KernelSpecDisplayName = ".NET (C#)";
    public const string KernelSpecLanguage = "C#";
    public const string LanguageInfoName = "polyglot-notebook";
    public const int NbFormat = 4;
    /// <summary>What VS Code writes for Polyglot notebooks (4.2: cell ids are optional).</summary>
    public const int NbFormatMinor = 2;

    /// <summary>Notebook-level metadata, as VS Code writes it.</summary>
    public static JsonObject NotebookMetadata() => new()
    {
        ["kernelspec"] = new JsonObject
        {
            ["display_name"] = KernelSpecDisplayName,
            ["language"] = KernelSpecLanguage,
            ["name"] = KernelSpecName,
        },
        ["language_info"] = new JsonObject { ["name"] = LanguageInfoName },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = KernelName,
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = KernelName }),
            },
        },
    };

    /// <summary>Code-cell metadata, as VS Code writes it.</summary>
    public static JsonObject CodeCellMetadata(IEnumerable<string>? tags = null)
    {
        var m = new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = KernelName },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = KernelName },
        };
        var list = tags?.ToList();
        if (list is { Count: > 0 }) m["tags"] = new JsonArray(list.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        return m;
    }
}
