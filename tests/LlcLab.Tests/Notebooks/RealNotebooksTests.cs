using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Export;
using Xunit;
using Xunit.Abstractions;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

[CollectionDefinition("RealNotebooks", DisableParallelization = true)]
public class RealNotebooksCollection { }

/// <summary>
/// Runs every notebook of the repository's notebooks/ folder in quick mode (-p quick=true), as CI
/// and <c>llclab reproduce --quick</c> do, and asserts that every cell ran. The slowest test.
/// </summary>
[Collection("RealNotebooks")]
public class RealNotebooksTests(ITestOutputHelper output)
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        string folder = Path.Combine(RepoRoot, "notebooks");
        if (Directory.Exists(folder))
            foreach (var f in Reproducer.NotebooksIn(folder)) data.Add(Path.GetFileName(f));
        if (data.Count == 0) data.Add("(none)");
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_runs_completely_in_quick_mode(string name)
    {
        string folder = Path.Combine(RepoRoot, "notebooks");
        Assert.True(Directory.Exists(folder), $"{folder} must exist");
        if (name == "(none)") return; // no notebooks yet: nothing to run
        string path = Path.Combine(folder, name);
        string results = NewFolder("results-" + Path.GetFileNameWithoutExtension(name));
        var parameters = Reproducer.ParametersFor(path, quick: true, results);
        Assert.True(parameters.ContainsKey(Reproducer.QuickParameterName),
            $"{name} must declare 'bool quick = false;' in a cell tagged \"parameters\" so CI can run it small.");
        var log = new StringWriter();
        var r = NotebookExecutor.Run(path, new ExecutionOptions(
            Parameters: parameters, RenderPng: false, Progress: log, CellTimeout: TimeSpan.FromMinutes(15),
            EnvironmentVariables: new Dictionary<string, string> { [Reproducer.ResultsEnvironmentVariable] = results }));
        output.WriteLine(log.ToString());
        Assert.True(r.Succeeded, $"{name}:\n" + string.Join("\n", r.Failures) + "\n" + string.Join("\n", r.Notes));
        Assert.Equal(r.CodeCellCount, r.Cells.Count);
    }
}
