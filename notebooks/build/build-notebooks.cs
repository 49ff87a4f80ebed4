#:property PublishAot=false
// Generates notebooks/*.ipynb (VS Code Polyglot Notebook format) from the cell sources in
// notebooks/build/src/*.txt. The committed .ipynb files are the product; this keeps them consistent.
// Run from the repository root:  dotnet run notebooks/build/build-notebooks.cs
//
// Source format (like a Polyglot .dib file): a line "#!markdown" or "#!csharp" starts a cell;
// "#!csharp parameters" starts the code cell tagged "parameters" (papermill convention).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

var here = Path.GetDirectoryName(Path.GetFullPath(args.Length > 0 ? args[0] : "notebooks/build/build-notebooks.cs"))!;
var srcDir = Path.Combine(here, "src");
if (!Directory.Exists(srcDir)) { Console.Error.WriteLine($"error: no {srcDir}; run from the repository root."); return 2; }
var outDir = Path.GetDirectoryName(here)!;
foreach (var src in Directory.GetFiles(srcDir, "*.txt").Order())
{
    var cells = new JsonArray();
    string? kind = null; bool parameters = false; var lines = new List<string>();
    void Flush()
    {
        if (kind is null) return;
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        while (lines.Count > 0 && lines[0].Trim().Length == 0) lines.RemoveAt(0);
        var source = new JsonArray(lines.Select((l, i) => (JsonNode)JsonValue.Create(i < lines.Count - 1 ? l + "\n" : l)!).ToArray());
        if (kind == "markdown")
            cells.Add(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = source });
        else
        {
            var meta = new JsonObject
            {
                ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            };
            if (parameters) meta["tags"] = new JsonArray("parameters");
            cells.Add(new JsonObject
            {
                ["cell_type"] = "code", ["execution_count"] = null, ["metadata"] = meta,
                ["outputs"] = new JsonArray(), ["source"] = source,
            });
        }
        lines.Clear();
    }
    foreach (var raw in File.ReadAllLines(src))
    {
        var line = raw.TrimEnd();
        if (line == "#!markdown" || line.StartsWith("#!csharp"))
        {
            Flush();
            kind = line == "#!markdown" ? "markdown" : "csharp";
            parameters = line == "#!csharp parameters";
            continue;
        }
        if (kind is null) { if (line.Length > 0) throw new InvalidDataException($"{src}: text before the first #!markdown/#!csharp line."); continue; }
        lines.Add(raw.TrimEnd());
    }
    Flush();
    var nb = new JsonObject
    {
        ["cells"] = cells,
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
            ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
            ["polyglot_notebook"] = new JsonObject
            {
                ["kernelInfo"] = new JsonObject
                {
                    ["defaultKernelName"] = "csharp",
                    ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                },
            },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 2,
    };
    var json = nb.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    var target = Path.Combine(outDir, Path.GetFileNameWithoutExtension(src) + ".ipynb");
    File.WriteAllText(target, json, new UTF8Encoding(false));
    Console.WriteLine($"wrote {Path.GetRelativePath(Directory.GetCurrentDirectory(), target)} ({cells.Count} cells)");
}
return 0;
