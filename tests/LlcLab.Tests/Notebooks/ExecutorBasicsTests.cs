using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

public class ExecutorBasicsTests
{
    [Fact]
    public void State_carries_across_cells_and_outputs_are_captured()
    {
        var dir = NewFolder("chain");
        var path = Write(dir, "chain.ipynb",
            "md:# Title",
            "var x = 20;\nint Twice(int v) => 2 * v;",
            "Console.WriteLine($\"x is {x}\");\nConsole.Error.WriteLine(\"warn\");\nx + 1",
            "display(Twice(x));\n\"shown\".Display();\nvar list = new List<int> { 1, 2, 3 };\nlist.Sum()");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal(3, r.Cells.Count);
        Assert.Equal("x is 20\n", OutputText(r.Executed, 2, "stdout"));
        Assert.Equal("warn\n", OutputText(r.Executed, 2, "stderr"));
        Assert.Equal("21", OutputText(r.Executed, 2, "text/plain"));
        Assert.Equal(["stream", "stream", "execute_result"], OutputTypes(r.Executed, 2));
        Assert.Equal(["display_data", "display_data", "execute_result"], OutputTypes(r.Executed, 3));
        Assert.Equal("40shown6", OutputText(r.Executed, 3, "text/plain"));
        Assert.Equal([null, 1, 2, 3], r.Executed.Cells.Select(c => c.ExecutionCount).ToArray());
        // The executed notebook is still a valid Polyglot notebook.
        Assert.Empty(NotebookValidator.Validate(r.Executed));
    }

    [Fact]
    public void Statements_without_trailing_value_produce_no_result_and_null_is_shown()
    {
        var dir = NewFolder("values");
        var path = Write(dir, "values.ipynb", "var a = 1;", "Console.WriteLine(\"hi\")", "string s = null;\ns");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Empty(r.Executed.Cells[0].Outputs);
        Assert.Equal(["stream"], OutputTypes(r.Executed, 1));
        Assert.Equal("<null>", OutputText(r.Executed, 2, "text/plain"));
    }

    [Fact]
    public void Runtime_error_reports_cell_numbers_line_and_stops()
    {
        var dir = NewFolder("runtime-error");
        var path = Write(dir, "boom.ipynb",
            "md:intro",
            "var n = 3;",
            "md:more",
            "// comment\nvar m = n * 2;\nthrow new InvalidOperationException(\"bad \" + m);",
            "Console.WriteLine(\"never\");");
        var r = Run(path);
        Assert.False(r.Succeeded);
        var f = Assert.Single(r.Failures);
        Assert.Equal(4, f.CellNumber);
        Assert.Equal(2, f.CodeCellNumber);
        Assert.Equal(3, f.Line);
        Assert.Equal("System.InvalidOperationException", f.ExceptionType);
        Assert.Equal("bad 6", f.Message);
        Assert.Contains("boom.ipynb: cell 4 (code cell 2), line 3: System.InvalidOperationException: bad 6", f.ToString());
        Assert.Equal(2, r.Cells.Count); // the last cell did not run
        Assert.Empty(r.Executed.Cells[4].Outputs);
        Assert.Contains("error", OutputTypes(r.Executed, 3));
    }

    [Fact]
    public void Error_inside_a_called_function_reports_the_cell_line_and_continue_on_error_runs_the_rest()
    {
        var dir = NewFolder("continue");
        var path = Write(dir, "cont.ipynb",
            "int Div(int a, int b)\n{\n    return a / b;\n}",
            "var ok = 1;\nvar bad = Div(1, 0);",
            "Console.WriteLine(ok + 1);");
        var r = Run(path, new ExecutionOptions(ContinueOnError: true));
        var f = Assert.Single(r.Failures);
        Assert.Equal(2, f.CellNumber);
        Assert.Equal("System.DivideByZeroException", f.ExceptionType);
        Assert.Equal(2, f.Line); // the innermost frame is in cell 1 (line 3); cell 2's own line is reported when cell 1's is not this cell
        Assert.Equal(3, r.Cells.Count);
        Assert.Equal("2\n", OutputText(r.Executed, 2, "stdout"));
        Assert.False(r.Succeeded);
    }

    [Fact]
    public void Compile_errors_show_diagnostics_with_cell_relative_lines()
    {
        var dir = NewFolder("compile-error");
        var path = Write(dir, "cerr.ipynb",
            "md:# t",
            "var a = 1;",
            "var b = a + 1;\n\nvar c = undefinedName + b;\nint d = \"text\";");
        var r = Run(path);
        var f = Assert.Single(r.Failures);
        Assert.True(f.IsCompileError);
        Assert.Equal(3, f.CellNumber);
        Assert.Equal(2, f.CodeCellNumber);
        Assert.Equal(3, f.Line);
        Assert.Equal(2, f.Diagnostics.Count);
        Assert.StartsWith("(line 3, col 9): error CS0103", f.Diagnostics[0]);
        Assert.StartsWith("(line 4, col 9): error CS0029", f.Diagnostics[1]);
        Assert.Contains("cerr.ipynb: cell 3 (code cell 2), line 3: compilation failed", f.ToString());
    }

    [Fact]
    public void Working_directory_is_the_notebook_folder_and_environment_is_set_then_restored()
    {
        var dir = NewFolder("cwd");
        File.WriteAllText(Path.Combine(dir, "data.txt"), "payload");
        var path = Write(dir, "cwd.ipynb",
            "Console.WriteLine(File.ReadAllText(\"data.txt\"));\nConsole.WriteLine(Environment.GetEnvironmentVariable(\"LLCLAB_TEST_VAR\"));\nDirectory.GetCurrentDirectory()");
        string before = Environment.CurrentDirectory;
        var r = Run(path, new ExecutionOptions(EnvironmentVariables: new Dictionary<string, string> { ["LLCLAB_TEST_VAR"] = "set-by-test" }));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("payload\nset-by-test\n", OutputText(r.Executed, 0, "stdout"));
        Assert.Equal(dir, OutputText(r.Executed, 0, "text/plain"));
        Assert.Equal(before, Environment.CurrentDirectory);
        Assert.Null(Environment.GetEnvironmentVariable("LLCLAB_TEST_VAR"));
    }

    [Fact]
    public void Magics_time_and_csharp_are_supported_and_others_are_reported()
    {
        var dir = NewFolder("magic");
        var ok = Write(dir, "ok.ipynb", "#!time\nvar s = 0;\nfor (int i = 0; i < 10; i++) s += i;", "#!csharp\ns");
        var r = Run(ok);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Matches(@"^Wall time: [0-9.]+ms\n$", OutputText(r.Executed, 0, "stdout"));
        Assert.Equal("45", OutputText(r.Executed, 1, "text/plain"));

        var bad = Write(dir, "bad.ipynb", "md:x", "var a = 1;", "var b = 2;\n#!about");
        var rb = Run(bad);
        var f = Assert.Single(rb.Failures);
        Assert.Equal(3, f.CellNumber);
        Assert.Equal(2, f.Line);
        Assert.Contains("#!about is not supported", f.Message);
    }

    [Fact]
    public void Async_code_and_records_tables_render()
    {
        var dir = NewFolder("async");
        var path = Write(dir, "async.ipynb",
            "record Row(string Name, double Value);\nawait Task.Delay(1);\nvar rows = new[] { new Row(\"a\", 1.5), new Row(\"b<\", 2) };\nrows",
            "new Dictionary<string, int> { [\"k\"] = 3 }",
            "new[] { 1, 2, 3 }");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        string html = OutputText(r.Executed, 0, "text/html");
        Assert.Contains("<th>Name</th><th>Value</th>", html);
        Assert.Contains("<td>b&lt;</td><td>2</td>", html);
        Assert.Contains("<td>k</td><td>3</td>", OutputText(r.Executed, 1, "text/html"));
        Assert.Equal("[1, 2, 3]", OutputText(r.Executed, 2, "text/plain"));
    }

    [Fact]
    public void Fixture_notebook_runs_with_a_string_parameter()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Notebooks", "hello.ipynb");
        var r = Run(path, new ExecutionOptions(Parameters: new Dictionary<string, string> { ["name"] = "LLC", ["repeat"] = "3" }));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("hello LLC hello LLC hello LLC\n", OutputText(r.Executed, 3, "stdout"));
        Assert.Equal("29", OutputText(r.Executed, 4, "text/plain"));
    }

    [Fact]
    public void Console_output_of_other_threads_does_not_leak_into_cells_but_tasks_started_by_the_cell_are_captured()
    {
        var dir = NewFolder("console-routing");
        var path = Write(dir, "route.ipynb",
            "Console.WriteLine(\"cell\");\nawait Task.Run(() => Console.WriteLine(\"child task\"));\nThread.Sleep(300);\nConsole.Error.WriteLine(\"cell err\");");
        using var stop = new CancellationTokenSource();
        // Another "test" writing to the console meanwhile, outside the cell's flow.
        var noise = new Thread(() =>
        {
            while (!stop.IsCancellationRequested) { Console.WriteLine("noise from elsewhere"); Thread.Sleep(5); }
        });
        noise.Start();
        NotebookRunResult r;
        try { r = Run(path); }
        finally { stop.Cancel(); noise.Join(); }
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("cell\nchild task\n", OutputText(r.Executed, 0, "stdout"));
        Assert.Equal("cell err\n", OutputText(r.Executed, 0, "stderr"));
    }

    [Fact]
    public void A_cell_over_the_time_limit_fails_and_stops_the_run_even_when_continuing_on_errors()
    {
        var dir = NewFolder("timeout");
        var path = Write(dir, "slow.ipynb", "var a = 1;", "Console.WriteLine(\"started\");\nThread.Sleep(12000);", "Console.WriteLine(a);");
        // The limit must leave room for the first cell's script warm-up on a loaded CI machine.
        var r = Run(path, new ExecutionOptions(ContinueOnError: true, CellTimeout: TimeSpan.FromSeconds(3)));
        var f = Assert.Single(r.Failures);
        Assert.Equal(2, f.CellNumber);
        Assert.Equal("System.TimeoutException", f.ExceptionType);
        Assert.Contains("did not finish within 3 s", f.Message);
        Assert.Equal(2, r.Cells.Count); // the third cell did not run
        Assert.Equal("started\n", OutputText(r.Executed, 1, "stdout"));
    }
}
