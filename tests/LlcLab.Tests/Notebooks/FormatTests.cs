using System.Text.Json.Nodes;
using LlcLab.Notebooks.Format;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

public class FormatTests
{
    [Fact]
    public void New_notebook_has_the_exact_vscode_polyglot_metadata_and_round_trips()
    {
        var nb = Notebook.Create([NotebookCell.Markdown("# T\ntext"), NotebookCell.Code("var a = 1;\na", "parameters")]);
        string json = nb.ToJson();
        var root = JsonNode.Parse(json)!;
        Assert.Equal(4, (int)root["nbformat"]!);
        Assert.Equal("""{"display_name":".NET (C#)","language":"C#","name":".net-csharp"}""", root["metadata"]!["kernelspec"]!.ToJsonString());
        Assert.Equal("""{"name":"polyglot-notebook"}""", root["metadata"]!["language_info"]!.ToJsonString());
        Assert.Equal("""{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"}]}}""", root["metadata"]!["polyglot_notebook"]!.ToJsonString());
        var code = root["cells"]![1]!;
        Assert.Equal("""{"dotnet_interactive":{"language":"csharp"},"polyglot_notebook":{"kernelName":"csharp"},"tags":["parameters"]}""", code["metadata"]!.ToJsonString());
        Assert.Equal("""["var a = 1;\n","a"]""", code["source"]!.ToJsonString());
        Assert.Equal("{}", root["cells"]![0]!["metadata"]!.ToJsonString());
        Assert.StartsWith("{\n \"cells\": [\n  {\n", json); // Jupyter's one-space indentation

        var back = Notebook.Parse(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal("var a = 1;\na", back.Cells[1].Source);
        Assert.Equal(["parameters"], back.Cells[1].Tags);
        Assert.Empty(NotebookValidator.Validate(back));
    }

    [Fact]
    public void Unknown_fields_survive_and_cells_can_be_inserted()
    {
        var nb = Notebook.Create([NotebookCell.Code("1")]);
        nb.Json["metadata"]!.AsObject()["custom"] = "kept";
        nb.Cells[0].Metadata["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" };
        var back = Notebook.Parse(nb.ToJson());
        back.Cells.Insert(0, NotebookCell.Markdown("first"));
        var again = Notebook.Parse(back.ToJson());
        Assert.Equal("kept", again.Json["metadata"]!["custom"]!.GetValue<string>());
        Assert.Equal("polyglot-notebook", again.Cells[1].Metadata["vscode"]!["languageId"]!.GetValue<string>());
        Assert.Equal("first", again.Cells[0].Source);
        Assert.Empty(NotebookValidator.Validate(again));
    }

    [Fact]
    public void Validator_names_each_problem()
    {
        var nb = Notebook.Create([NotebookCell.Markdown("m"), NotebookCell.Code("x")]);
        nb.Json["metadata"]!["kernelspec"]!["name"] = "python3";
        nb.Json["metadata"]!.AsObject().Remove("language_info");
        nb.Cells[1].Metadata.Remove("polyglot_notebook");
        nb.Cells[0].Json["outputs"] = new JsonArray();
        var problems = NotebookValidator.Validate(Notebook.Parse(nb.ToJson()));
        Assert.Contains("metadata.kernelspec.name must be \".net-csharp\" (found \"python3\").", problems);
        Assert.Contains("metadata.language_info.name must be \"polyglot-notebook\" (found nothing).", problems);
        Assert.Contains("cell 2: metadata.polyglot_notebook.kernelName must be \"csharp\" (found nothing).", problems);
        Assert.Contains("cell 1: a markdown cell must not have outputs.", problems);
        Assert.Equal(4, problems.Count);

        var dir = NewFolder("invalid");
        File.WriteAllText(Path.Combine(dir, "broken.ipynb"), "{ not json");
        Assert.Contains("not valid JSON", Assert.Single(NotebookValidator.Validate(Path.Combine(dir, "broken.ipynb"))));
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
}
