using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Export;
using Xunit;
using Xunit.Abstractions;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

/// <summary>
/// Runs every notebook of the repository's notebooks/ folder in quick mode (-p quick=true) on the
/// real kernel (the pinned dotnet-interactive tool), as CI and <c>llclab reproduce --quick</c> do,
/// and asserts that no cell has an error output and that chart notebooks produced charts. The slowest test.
/// </summary>
[Collection("Kernel")]
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
            EnvironmentVariables: new Dictionary<string, string> { [Reproducer.ResultsEnvironmentVariable] = results, ["LLCLAB_THREADS"] = "1" }));
        output.WriteLine(log.ToString());
        Assert.True(r.Succeeded, $"{name}:\n" + string.Join("\n", r.Failures) + "\n" + string.Join("\n", r.Notes));
        Assert.Equal(r.CodeCellCount, r.Cells.Count);
        Assert.DoesNotContain(r.Executed.Elements.SelectMany(e => e.Outputs), o => o is Microsoft.DotNet.Interactive.Documents.ErrorElement);
        bool drawsCharts = r.Executed.Elements.Any(e => e.Contents.Contains("display(", StringComparison.Ordinal) && e.Contents.Contains("Charts.", StringComparison.Ordinal));
        if (drawsCharts)
            Assert.Contains(r.Executed.Elements.SelectMany(e => e.Outputs).OfType<Microsoft.DotNet.Interactive.Documents.DisplayElement>(),
                d => d.Data.TryGetValue("text/html", out var h) && h?.ToString()?.Contains("llclab-chart", StringComparison.Ordinal) == true);
    }
}
