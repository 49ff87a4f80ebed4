using System.Diagnostics;
using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Export;
using LlcLab.Notebooks.Kernel;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

/// <summary>The executor on the real kernel: the dotnet-interactive tool pinned in .config/dotnet-tools.json.</summary>
[Collection("Kernel")]
public class KernelExecutorTests
{
    [Fact]
    public void The_pinned_kernel_is_found_from_the_manifest()
    {
        var launcher = KernelLauncher.For(NewFolder("launcher"));
        Assert.Equal("dotnet", launcher.FileName);
        Assert.Contains("1.0.712001", launcher.Description);
        Assert.True(File.Exists(Path.Combine(launcher.WorkingDirectory, ".config", "dotnet-tools.json")));
    }

    [Fact]
    public void Cells_run_in_order_in_one_kernel_with_streams_displays_and_values()
    {
        var dir = NewFolder("basics");
        File.WriteAllText(Path.Combine(dir, "data.txt"), "from the notebook folder");
        var path = Write(dir, "basics.ipynb",
            "md:# basics",
            "int n = 6;\nConsole.WriteLine(\"hello\");",
            "Console.Error.WriteLine(\"warn\");\ndisplay(\"shown\");\nn * 7",
            "using System.IO;\nConsole.WriteLine(File.ReadAllText(\"data.txt\") + \" \" + Environment.GetEnvironmentVariable(\"LLCLAB_TEST_VAR\"));");
        var r = Run(path, new ExecutionOptions(EnvironmentVariables: new Dictionary<string, string> { ["LLCLAB_TEST_VAR"] = "env-ok" }));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal(3, r.Cells.Count);
        Assert.Equal("hello\n", OutputText(r.Executed, 1, "stdout"));
        Assert.Contains("warn", OutputText(r.Executed, 2, "stderr"));
        Assert.Contains("shown", OutputText(r.Executed, 2, "text/plain") + OutputText(r.Executed, 2, "text/html"));
        Assert.Contains("42", OutputText(r.Executed, 2, "text/html") + OutputText(r.Executed, 2, "text/plain"));
        Assert.Equal("from the notebook folder env-ok\n", OutputText(r.Executed, 3, "stdout"));
        Assert.Equal([1, 2, 3], r.Executed.Elements.Skip(1).Select(e => e.ExecutionOrder));
    }

    [Fact]
    public void A_compile_error_in_cell_3_fails_the_run_and_names_the_cell()
    {
        var dir = NewFolder("compile");
        var path = Write(dir, "compile.ipynb", "md:# m", "int a = 1;", "int b = a + undefinedName;", "Console.WriteLine(\"never\");");
        var r = Run(path);
        Assert.False(r.Succeeded);
        var f = Assert.Single(r.Failures);
        Assert.Equal(3, f.CellNumber);
        Assert.True(f.IsCompileError);
        Assert.Contains("CS0103", string.Join("\n", f.Diagnostics));
        Assert.Contains("cell 3", f.ToString());
        Assert.Contains("int b = a + undefinedName;", f.ToString());
        Assert.Equal(2, r.Cells.Count); // cell 4 did not run
        Assert.Contains("CompilationError", OutputText(r.Executed, 2, "error"));
    }

    [Fact]
    public void An_exception_in_cell_4_fails_the_run_and_names_the_cell_and_the_exception()
    {
        var dir = NewFolder("throw");
        var path = Write(dir, "throw.ipynb", "md:# m", "var x = 1;", "x++;", "throw new InvalidOperationException(\"boom in four\");", "Console.WriteLine(\"never\");");
        var r = Run(path);
        var f = Assert.Single(r.Failures);
        Assert.Equal(4, f.CellNumber);
        Assert.Equal("System.InvalidOperationException", f.ExceptionType);
        Assert.Contains("boom in four", f.Message);
        Assert.Contains("cell 4", f.ToString());
        Assert.Contains("throw new InvalidOperationException", f.ToString());
        Assert.Equal(3, r.Cells.Count);
    }

    [Fact]
    public void A_cell_over_its_time_limit_is_stopped_by_killing_the_kernel()
    {
        var dir = NewFolder("timeout");
        var path = Write(dir, "timeout.ipynb", "Console.WriteLine(Environment.ProcessId);", "while (true) { }", "Console.WriteLine(\"never\");");
        var sw = Stopwatch.StartNew();
        var r = Run(path, new ExecutionOptions(CellTimeout: TimeSpan.FromSeconds(30)));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(150), $"took {sw.Elapsed}");
        var f = Assert.Single(r.Failures);
        Assert.Equal(2, f.CellNumber);
        Assert.Equal("Timeout", f.ExceptionType);
        int pid = int.Parse(OutputText(r.Executed, 0, "stdout").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Gone(pid), $"the kernel process {pid} running the loop is still alive"); // killed: gone, or a zombie awaiting its reaper
    }

    [Fact]
    public void Charts_render_in_the_kernel_offline_with_plotly_js_once_and_export_as_figures()
    {
        var dir = NewFolder("charts");
        var path = Write(dir, "charts.ipynb",
            SuiteHeader(),
            "display(LlcLab.Plots.TrainingCharts.LossCurve(new double[] { 3, 2, 1.5, 1.2 }));",
            // A chart built in the cell itself (Plotly.NET.CSharp), returned as the cell's value.
            "Plotly.NET.CSharp.Chart.Point<double, double, string>(x: new double[] { 1, 2 }, y: new double[] { 2, 1 }, Name: \"direct\")",
            "Console.WriteLine(LlcLab.Runtime.FSharpCoreBridge.Check());");
        string outDir = Path.Combine(dir, "out");
        var r = Run(path, new ExecutionOptions(OutputDirectory: outDir, RenderPng: true));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        string all = File.ReadAllText(Path.Combine(outDir, "charts.ipynb")); // the file a workshop opens
        // Two charts, drawn by the notebook's own plotly.js, carried once; no CDN.
        Assert.Equal(2, CountOf(all, "llclab-chart"));
        Assert.Equal(1, CountOf(all, PlotlyJs.LibraryMarker));
        Assert.DoesNotContain("fsharpPlotlyRequire", all); // Plotly.NET.Interactive's CDN loader is gone
        Assert.Contains("Training loss", all);
        Assert.Contains("direct", all);
        Assert.Contains("a test chart renders", OutputText(r.Executed, 3, "stdout"));
        Assert.DoesNotContain("TWO COPIES", OutputText(r.Executed, 3, "stdout"));
        Assert.True(new FileInfo(Path.Combine(outDir, "charts.ipynb")).Length < 6_000_000);
        var html = r.ChartFiles.Where(f => f.EndsWith(".html", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, html.Count);
        if (ChromiumRenderer.IsAvailable)
        {
            var png = r.ChartFiles.Single(f => f.EndsWith("cell02-1.png", StringComparison.Ordinal));
            var (w, h) = PngSize(png);
            Assert.Equal((ExportSize.Width * ExportSize.PngScale, ExportSize.Height * ExportSize.PngScale), (w, h));
            Assert.Contains("<svg", File.ReadAllText(Path.ChangeExtension(png, ".svg")));
        }
    }

    static bool Gone(int pid)
    {
        for (int i = 0; i < 50; i++)
        {
            string stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat)) return true;
            try
            {
                var text = File.ReadAllText(stat);
                if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            }
            catch (IOException) { return true; }
            Thread.Sleep(100);
        }
        return false;
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    internal static (int W, int H) PngSize(string path)
    {
        var b = File.ReadAllBytes(path);
        int W(int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
        return (W(16), W(20));
    }
}
