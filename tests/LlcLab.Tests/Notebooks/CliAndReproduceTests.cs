using System.CommandLine;
using LlcLab.Cli;
using LlcLab.Cli.Commands;
using LlcLab.Notebooks.Export;
using LlcLab.Notebooks.Format;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

[Collection("Kernel")]
public class CliAndReproduceTests
{
    static int Cli(params string[] args)
    {
        var root = new RootCommand("test") { new NotebooksVerb().Build() };
        root.Options.Add(GlobalOptions.Device);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Notebooks_run_exit_codes_and_outputs()
    {
        var dir = NewFolder("cli");
        var ok = Write(dir, "ok.ipynb", new Tagged("int n = 1;", "parameters"), "Console.WriteLine(n * 10);");
        var bad = Write(dir, "bad.ipynb", "throw new Exception(\"x\");");
        string outDir = Path.Combine(dir, "out");

        Assert.Equal(0, Cli("notebooks", "run", ok, "-p", "n=4", "--out", outDir, "--no-png"));
        var executed = NotebookDocument.Load(Path.Combine(outDir, "ok.ipynb"));
        Assert.Equal("40\n", OutputText(executed, 2, "stdout"));
        // An output folder under a regular file is refused before any cell runs.
        File.WriteAllText(Path.Combine(dir, "file"), "");
        Assert.Equal(2, Cli("notebooks", "run", ok, "--out", Path.Combine(dir, "file", "sub")));
        Assert.Equal(2, Cli("notebooks", "run", ok, "--cell-timeout", "0"));

        Assert.Equal(1, Cli("notebooks", "run", bad, "--out", outDir, "--no-png"));
        Assert.Equal(2, Cli("notebooks", "run", ok, "-p", "n", "--out", outDir));          // not name=value
        Assert.Equal(2, Cli("notebooks", "run", ok, "-p", "m=1", "--out", outDir));        // unknown parameter
        Assert.Equal(2, Cli("notebooks", "run", Path.Combine(dir, "missing.ipynb")));      // no such file
    }

    [Fact]
    public void Notebooks_validate_exit_codes()
    {
        var dir = NewFolder("cli-validate");
        var good = Write(dir, "good.ipynb", "md:# ok", "1");
        File.WriteAllText(Path.Combine(dir, "bad.ipynb"), File.ReadAllText(good).Replace(".net-csharp", "python3", StringComparison.Ordinal));
        Assert.Equal(0, Cli("notebooks", "validate", good));
        Assert.Equal(1, Cli("notebooks", "validate", dir)); // a folder: every notebook in it
    }

    [Fact]
    public void Reproduce_runs_notebooks_in_name_order_into_one_folder_with_an_index()
    {
        var dir = NewFolder("reproduce");
        var nbDir = Path.Combine(dir, "notebooks");
        Directory.CreateDirectory(nbDir);
        Write(nbDir, "02-chart.ipynb",
            SuiteHeader(), "Plotly.NET.CSharp.Chart.Point<double, double, string>(x: new double[] { 1, 2 }, y: new double[] { 2, 1 })");
        Write(nbDir, "01-table.ipynb",
            new Tagged("bool quick = false;\nstring resultsDir = \"results\";", "parameters"),
            "using System.IO;\nvar rows = quick ? 2 : 1000;\nvar env = Environment.GetEnvironmentVariable(\"LLCLAB_RESULTS_DIR\");\n" +
            "File.WriteAllText(Path.Combine(env, \"t.csv\"), $\"rows,{rows}\\n\");\nConsole.WriteLine(env == resultsDir);");
        var log = new StringWriter();
        var r = Reproducer.Run(nbDir, Path.Combine(dir, "out"), quick: true, renderPng: false, progress: log);
        Assert.True(r.Succeeded, log.ToString());
        Assert.Equal(["01-table.ipynb", "02-chart.ipynb"], r.Notebooks.Select(n => Path.GetFileName(n.NotebookPath)));
        string results = Path.Combine(dir, "out", "results");
        Assert.Equal("rows,2\n", File.ReadAllText(Path.Combine(results, "t.csv")));             // quick=true reached the notebook
        Assert.Equal("True\n", OutputText(r.Notebooks[0].Executed, 2, "stdout"));              // resultsDir parameter = env folder
        Assert.Contains("02-chart.ipynb declares no 'quick' parameter", log.ToString());
        string index = File.ReadAllText(r.IndexPath);
        Assert.Contains("<a href=\"01-table.ipynb\">", index);
        Assert.Contains("(<a href=\"01-table.html\">read as a web page</a>)", index);
        Assert.Contains("<a href=\"figures/02-chart-cell02-1.html\">", index);
        Assert.Contains("<a href=\"results/t.csv\">t.csv</a>", index);
        Assert.Contains("2/2 notebooks ran completely", index);
        Assert.True(File.Exists(Path.Combine(dir, "out", "figures", "02-chart-cell02-1.html")));
    }
}
