using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

[Collection("Kernel")]
public class ParametersTests
{
    static Tagged ParametersCell() => new(
        "bool quick = false;\nint steps = 1000;\nvar seed = 7L;\ndouble lr = 0.001;\nstring label = \"full\";\nvar ratio = 0.5;", NotebookParameters.ParametersTag);

    [Fact]
    public void Declared_parameters_have_explicit_or_inferred_types()
    {
        var ps = NotebookParameters.Parse(ParametersCell().Code);
        Assert.Equal(["bool quick", "int steps", "long seed", "double lr", "string label", "double ratio"], ps.Select(p => $"{p.Type} {p.Name}"));
    }

    [Fact]
    public void Overrides_are_injected_after_the_parameters_cell_with_typed_literals()
    {
        var dir = NewFolder("params");
        var path = Write(dir, "p.ipynb", "md:# p", ParametersCell(),
            "using System.Globalization;\nConsole.WriteLine($\"{quick} {steps} {seed} {lr.ToString(CultureInfo.InvariantCulture)} {label} {ratio.ToString(CultureInfo.InvariantCulture)}\");\nConsole.WriteLine((quick, steps, seed, lr, label, ratio).GetType().Name);");
        var r = Run(path, new ExecutionOptions(Parameters: new Dictionary<string, string>
        {
            ["quick"] = "true", ["steps"] = "10", ["seed"] = "9000000000", ["lr"] = "0.5", ["label"] = "say \"hi\"\\n", ["ratio"] = "1",
        }));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        // Original notebook: 3 cells; executed: 4 (injected cell after the parameters cell).
        Assert.Equal(4, r.Executed.Elements.Count);
        var injected = r.Executed.Elements[2];
        Assert.Contains(NotebookParameters.InjectedTag, injected.Tags());
        Assert.Contains("long seed = 9000000000L;", injected.Contents);
        Assert.Contains("string label = \"say \\\"hi\\\"\\\\n\";", injected.Contents);
        Assert.Equal("True 10 9000000000 0.5 say \"hi\"\\n 1\nValueTuple`6\n", OutputText(r.Executed, 3, "stdout"));
        Assert.Equal([2, 2, 3], r.Cells.Select(c => c.CellNumber)); // injected cell reported as following cell 2
        Assert.True(r.Cells[1].InjectedParameters);
    }

    [Fact]
    public void Unknown_names_missing_cell_and_bad_values_are_clear_errors()
    {
        var dir = NewFolder("params-bad");
        var path = Write(dir, "p.ipynb", ParametersCell(), "quick");
        var e = Assert.Throws<ArgumentException>(() => Run(path, new ExecutionOptions(Parameters: new Dictionary<string, string> { ["qiuck"] = "true" })));
        Assert.Contains("unknown parameter 'qiuck'", e.Message);
        Assert.Contains("bool quick = false", e.Message);
        Assert.Contains("int steps = 1000", e.Message);

        var e2 = Assert.Throws<ArgumentException>(() => Run(path, new ExecutionOptions(Parameters: new Dictionary<string, string> { ["steps"] = "ten" })));
        Assert.Contains("parameter steps is int; 'ten' is not an int", e2.Message);

        var plain = Write(dir, "plain.ipynb", "var quick = false;");
        var e3 = Assert.Throws<ArgumentException>(() => Run(plain, new ExecutionOptions(Parameters: new Dictionary<string, string> { ["quick"] = "true" })));
        Assert.Contains("no code cell tagged \"parameters\"", e3.Message);
    }

    [Fact]
    public void Without_overrides_the_defaults_run()
    {
        var dir = NewFolder("params-default");
        var path = Write(dir, "p.ipynb", ParametersCell(), "steps");
        var r = Run(path);
        Assert.True(r.Succeeded);
        Assert.Equal(2, r.Executed.Elements.Count);
        Assert.Contains("1000", OutputText(r.Executed, 1, "text/html") + OutputText(r.Executed, 1, "text/plain"));
    }
}
