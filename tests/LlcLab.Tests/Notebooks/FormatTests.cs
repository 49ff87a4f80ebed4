using System.Text.Json.Nodes;
using LlcLab.Notebooks.Format;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

public class FormatTests
{
    [Fact]
    public void Notebooks_written_through_the_kernels_document_model_keep_polyglot_metadata_and_tags()
    {
        var dir = NewFolder("format");
        string path = Write(dir, "t.ipynb", "md:# T\ntext", new Tagged("var a = 1;\na", "parameters"));
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(4, (int)root["nbformat"]!);
        var code = root["cells"]![1]!;
        Assert.Equal("csharp", code["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.Equal("parameters", code["metadata"]!["tags"]![0]!.GetValue<string>());
        var back = NotebookDocument.Load(path);
        Assert.Equal("var a = 1;\na", back.Elements[1].Contents);
        Assert.Equal(["parameters"], back.Elements[1].Tags());
        Assert.Equal("markdown", back.Elements[0].KernelName);
        Assert.Empty(NotebookValidator.Validate(path));
    }

    [Fact]
    public void Validator_names_each_problem()
    {
        var dir = NewFolder("invalid");
        string path = Write(dir, "bad.ipynb", "md:m", "x");
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["metadata"]!["kernelspec"]!["name"] = "python3";
        root["metadata"]!.AsObject().Remove("language_info");
        root["cells"]![1]!["metadata"]!.AsObject().Remove("polyglot_notebook");
        root["cells"]![0]!.AsObject()["outputs"] = new JsonArray();
        var problems = NotebookValidator.Validate(root);
        Assert.Contains("metadata.kernelspec.name must be \".net-csharp\" (found \"python3\").", problems);
        Assert.Contains("metadata.language_info.name must be \"polyglot-notebook\" (found nothing).", problems);
        Assert.Contains("cell 2: metadata.polyglot_notebook.kernelName must be \"csharp\" (found nothing).", problems);
        Assert.Contains("cell 1: a markdown cell must not have outputs.", problems);

        File.WriteAllText(Path.Combine(dir, "broken.ipynb"), "{ not json");
        Assert.Contains("is not JSON", Assert.Single(NotebookValidator.Validate(Path.Combine(dir, "broken.ipynb"))));
    }

    [Fact]
    public void Committed_fixture_notebooks_are_valid()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Notebooks");
        var files = Directory.GetFiles(dir, "*.ipynb");
        Assert.NotEmpty(files);
        foreach (var f in files) Assert.Empty(NotebookValidator.Validate(f));
    }

    [Fact]
    public void Every_notebook_in_the_repository_is_a_valid_polyglot_notebook()
    {
        string folder = Path.Combine(RepoRoot, "notebooks");
        Assert.True(Directory.Exists(folder), $"{folder} must exist");
        foreach (var f in Directory.GetFiles(folder, "*.ipynb"))
        {
            var problems = NotebookValidator.Validate(f);
            Assert.True(problems.Count == 0, $"{Path.GetFileName(f)}:\n" + string.Join("\n", problems));
        }
    }

    [Fact]
    public void Every_notebook_pins_the_kernels_FSharp_Core_before_Plotly_and_installs_the_bridge()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot, "notebooks"), "*.ipynb"))
        {
            var first = NotebookDocument.Load(f).Elements.First(e => e.IsCode()).Contents;
            int pin = first.IndexOf("#r \"nuget: FSharp.Core, 10.0.", StringComparison.Ordinal);
            int plotly = first.IndexOf("#r \"nuget: Plotly.NET,", StringComparison.Ordinal);
            Assert.True(pin >= 0 && pin < plotly, $"{Path.GetFileName(f)}: the first cell must pin FSharp.Core 10.0 before Plotly.NET");
            Assert.Contains("FSharpCoreBridge.Install()", first);
        }
    }
}
