using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.IO;

public class ResultsTableTests
{
    static ResultsTable Sample() => new ResultsTable()
        .Add(new ResultRow { Experiment = "exp,1", Model = "mlp:64-128-10:relu", Procedure = "leace", Step = 3, Seed = 42, Metric = "llc",
                             Value = 12.345678901234567, Std = 0.1, NChains = 4, NDraws = 200, Lr = 1e-4, Localization = 100, Nbeta = 24.5,
                             Layer = "h1", DataSubset = "forget \"set\"\nline2", ElapsedS = 1.5 })
        .Add(new ResultRow { Experiment = "exp2", Model = "dln:5-3-5", Metric = "accuracy", Value = double.NaN });

    [Fact]
    public void Csv_round_trip_preserves_every_field_with_rfc4180_quoting()
    {
        using var dir = new Fixture.TempDir();
        var t = Sample();
        t.WriteCsv(dir.File("r.csv"));
        var text = File.ReadAllText(dir.File("r.csv"));
        Assert.StartsWith("experiment,model,procedure,step,seed,metric,value,std,n_chains,n_draws,lr,localization,nbeta,layer,data_subset,elapsed_s\n", text);
        Assert.Contains("\"exp,1\"", text);
        Assert.Contains("\"forget \"\"set\"\"\nline2\"", text);
        Assert.Contains("exp2,dln:5-3-5,none,,,accuracy,NaN,,,,,,,,,\n", text);
        var back = ResultsTable.ReadCsv(dir.File("r.csv"));
        Assert.Equal(t[0], back[0]);
        Assert.True(double.IsNaN(back[1].Value));
        Assert.Equal(t[1] with { Value = 0 }, back[1] with { Value = 0 });
    }

    [Fact]
    public void Csv_uses_invariant_culture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var csv = Sample().ToCsv();
            Assert.Contains("12.345678901234567", csv);
            Assert.Equal(12.345678901234567, ResultsTable.ParseCsv(csv)[0].Value);
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }
    }

    [Fact]
    public void Json_is_an_array_of_snake_case_objects_and_round_trips()
    {
        using var dir = new Fixture.TempDir();
        var t = Sample();
        t.WriteJson(dir.File("r.json"));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("r.json")));
        var first = doc.RootElement[0];
        Assert.Equal(ResultRow.Columns, first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(4, first.GetProperty("n_chains").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement[1].GetProperty("value").ValueKind); // NaN → null
        var back = ResultsTable.ReadJson(dir.File("r.json"));
        Assert.Equal(t[0], back[0]);
        Assert.True(double.IsNaN(back[1].Value));
    }

    [Theory]
    [InlineData("r.csv")]
    [InlineData("r.json")]
    public void Append_extends_an_existing_file_for_resumable_runs(string name)
    {
        using var dir = new Fixture.TempDir();
        var path = dir.File(name);
        var t = Sample();
        ResultsTable.Append(path, [t[0]]);          // creates
        new ResultsTable([t[1]]).Append(path);       // appends
        ResultsTable.Append(path, [t[0] with { Step = 4 }]);
        var back = ResultsTable.Read(path);
        Assert.Equal(3, back.Count);
        Assert.Equal(new long?[] { 3, null, 4 }, back.Select(r => r.Step));
        Assert.Empty(Directory.GetFiles(dir.Root, "*.tmp"));
    }

    [Fact]
    public void Bad_tables_are_clear_errors()
    {
        Assert.Contains("'bogus'", Assert.Throws<InvalidDataException>(() => ResultsTable.ParseCsv("experiment,model,metric,value,bogus\na,b,c,1,2\n")).Message);
        Assert.Contains("'value'", Assert.Throws<InvalidDataException>(() => ResultsTable.ParseCsv("experiment,model,metric\na,b,c\n")).Message);
        Assert.Contains("not a number", Assert.Throws<InvalidDataException>(() => ResultsTable.ParseCsv("experiment,model,metric,value\na,b,c,x\n")).Message);
        Assert.Contains("fields", Assert.Throws<InvalidDataException>(() => ResultsTable.ParseCsv("experiment,model,metric,value\na,b,c\n")).Message);
        Assert.Throws<InvalidDataException>(() => ResultsTable.ParseCsv("experiment,model,metric,value\n\"a,b,c,1\n"));
        Assert.Throws<ArgumentException>(() => Sample().Write("results.txt"));
    }

    [Fact]
    public void Atomic_write_replaces_content_and_leaves_no_temp_files()
    {
        using var dir = new Fixture.TempDir();
        var p = dir.File("sub/a.txt");
        AtomicFile.WriteAllText(p, "one");
        AtomicFile.WriteAllText(p, "two");
        Assert.Equal("two", File.ReadAllText(p));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(p)!));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(p, _ => throw new InvalidOperationException("boom")));
        Assert.Equal("two", File.ReadAllText(p));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(p)!));
    }
}
