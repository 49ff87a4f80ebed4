using System.Text.Json.Nodes;
using LlcLab.Notebooks.Display;
using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Export;
using LlcLab.Notebooks.Format;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

public class ReferencesAndDisplayTests
{
    [Fact]
    public void Carried_nuget_packages_resolve_and_unknown_ones_are_named()
    {
        var dir = NewFolder("nuget");
        var path = Write(dir, "n.ipynb",
            "#r \"nuget: MathNet.Numerics, 5.0.0\"\n#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\n#r \"nuget:Microsoft.DotNet.Interactive\"\nusing MathNet.Numerics.Statistics;\nnew[] { 1.0, 2.0, 3.0, 4.0 }.Mean()");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("2.5", OutputText(r.Executed, 0, "text/plain"));

        var bad = Write(dir, "bad.ipynb", "md:x", "// packages\n#r \"nuget: Newtonsoft.Json, 13.0.3\"");
        var rb = Run(bad);
        var f = Assert.Single(rb.Failures);
        Assert.Equal(2, f.CellNumber);
        Assert.Equal(2, f.Line);
        Assert.Contains("'Newtonsoft.Json'", f.Message);
        Assert.Contains("Carried packages:", f.Message);
    }

    [Fact]
    public void Plotly_charts_become_offline_html_outputs_and_standalone_files()
    {
        var dir = NewFolder("chart");
        var outDir = Path.Combine(dir, "out");
        var path = Write(dir, "chart.ipynb",
            "#r \"nuget: Plotly.NET, 6.0.0\"\n#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\n#r \"nuget: Plotly.NET.Interactive, 6.0.0\"",
            "md:A chart:",
            "var chart = Plotly.NET.CSharp.Chart.Line<double, double, string>(x: new double[] { 1, 2, 3 }, y: new double[] { 2, 4, 8 });\ndisplay(chart);\nchart");
        var r = Run(path, new ExecutionOptions(OutputDirectory: outDir, RenderPng: false));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        string html = OutputText(r.Executed, 2, "text/html");
        Assert.Contains("Plotly.newPlot(", html);
        Assert.Contains("plotly.js v" + PlotlyHtml.PlotlyJsVersion, html); // plotly.js itself is embedded…
        Assert.DoesNotContain("<script src=", html);                        // …not fetched
        Assert.Equal(["display_data", "execute_result"], OutputTypes(r.Executed, 2));

        // Two charts (display + trailing value) → two standalone offline HTML files.
        Assert.Equal(2, r.ChartFiles.Count);
        foreach (var f in r.ChartFiles)
        {
            string doc = File.ReadAllText(f);
            Assert.StartsWith("<!DOCTYPE html>", doc);
            Assert.Contains("plotly.js v" + PlotlyHtml.PlotlyJsVersion, doc);
            Assert.Contains("\"y\":[2.0,4.0,8.0]", doc);
        }
        Assert.EndsWith(Path.Combine("figures", "chart-cell03-1.html"), r.ChartFiles[0]);
        // The executed notebook is written and is valid.
        Assert.NotNull(r.ExecutedPath);
        Assert.Empty(NotebookValidator.Validate(r.ExecutedPath!));
        Assert.Equal(r.Executed.ToJson(), File.ReadAllText(r.ExecutedPath!));
        // …and a static web page of it: markdown rendered, plotly.js once for both charts.
        string page = File.ReadAllText(Path.Combine(outDir, "chart.html"));
        Assert.Contains("<p>A chart:</p>", page);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(page, "\"y\":\\[2\\.0,4\\.0,8\\.0\\]").Count);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(page, "plotly.js v" + System.Text.RegularExpressions.Regex.Escape(PlotlyHtml.PlotlyJsVersion)));
    }

    [Fact]
    public void Chart_renders_to_png_with_chromium_when_installed()
    {
        var dir = NewFolder("png");
        var path = Write(dir, "png.ipynb",
            "#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\nPlotly.NET.CSharp.Chart.Point<double, double, string>(x: new double[] { 1, 2 }, y: new double[] { 3, 1 })");
        var r = Run(path, new ExecutionOptions(OutputDirectory: Path.Combine(dir, "out"), RenderPng: true));
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        if (!ChromiumRenderer.IsAvailable)
        {
            Assert.Contains(r.Notes, n => n.Contains("chromium is not installed"));
            return;
        }
        var png = Assert.Single(r.ChartFiles, f => f.EndsWith(".png"));
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 2000, $"PNG of {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
    }

    [Fact]
    public void Relative_dll_reference_loads_it_and_its_dependency_from_its_folder()
    {
        var dir = NewFolder("dllref");
        var libDir = Path.Combine(dir, "lib", "bin");
        Directory.CreateDirectory(libDir);
        // Two tiny assemblies compiled here: Fixture.Dep, and Fixture.Lib which depends on it.
        var refs = new[] { MetadataReference.CreateFromFile(typeof(object).Assembly.Location),
            MetadataReference.CreateFromFile(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Runtime.dll")) };
        var dep = Compile("Fixture.Dep", "namespace Fixture.Dep { public static class Numbers { public static int Answer() => 42; } }", refs, libDir);
        Compile("Fixture.Lib", "namespace Fixture.Lib { public static class Api { public static string Hello(string who) => $\"hello {who} {Fixture.Dep.Numbers.Answer()}\"; } }",
            [.. refs, MetadataReference.CreateFromFile(dep)], libDir);

        var nbDir = Path.Combine(dir, "notebooks");
        Directory.CreateDirectory(nbDir);
        var path = Write(nbDir, "r.ipynb", "#r \"../lib/bin/Fixture.Lib.dll\"\nFixture.Lib.Api.Hello(\"notebook\")");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("hello notebook 42", OutputText(r.Executed, 0, "text/plain"));

        var missing = Write(nbDir, "missing.ipynb", "var a = 1;", "#r \"../lib/bin/Nope.dll\"");
        var rm = Run(missing);
        var f = Assert.Single(rm.Failures);
        Assert.Equal(2, f.CellNumber);
        Assert.Equal(1, f.Line);
        Assert.Contains("Nope.dll does not exist", f.Message);
    }

    [Fact]
    public void A_referenced_dll_shadowed_by_a_different_host_copy_is_reported()
    {
        var dir = NewFolder("shadow");
        var refs = new[] { MetadataReference.CreateFromFile(typeof(object).Assembly.Location) };
        // A different assembly with the simple name of one the host carries.
        var fake = Compile("MathNet.Numerics", "namespace Fake { public static class X { public static int Y() => 1; } }", refs, dir);
        var path = Write(dir, "shadow.ipynb", "#r \"MathNet.Numerics.dll\"\n1");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        var note = Assert.Single(r.Notes);
        Assert.Contains("this process already has MathNet.Numerics from", note);
        Assert.Contains(fake, note);
        Assert.Contains("dotnet build LlcNotebooks.sln -c Release", note);
    }

    static string Compile(string name, string code, MetadataReference[] refs, string dir)
    {
        var c = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(code)], refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        string path = Path.Combine(dir, name + ".dll");
        var result = c.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return path;
    }

    [Fact]
    public void Formatter_handles_tensors_tables_and_plain_values()
    {
        Assert.Equal("<null>", OutputFormatter.Format(null).PlainText);
        Assert.Equal("3.5", OutputFormatter.Format(3.5).PlainText);
        Assert.Contains("<pre>a &amp; b</pre>", OutputFormatter.Format("a & b").Html);
        var table = new System.Data.DataTable();
        table.Columns.Add("metric");
        table.Columns.Add("value", typeof(double));
        table.Rows.Add("llc", 12.5);
        var t = OutputFormatter.Format(table);
        Assert.Contains("<td>llc</td><td>12.5</td>", t.Html);
        Assert.Contains("metric", t.PlainText);
    }
}
