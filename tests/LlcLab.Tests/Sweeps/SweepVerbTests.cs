using System.CommandLine;
using LlcLab.Cli;
using LlcLab.Cli.Commands;
using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

/// <summary>The verb's flags and errors, in-process (nothing here runs a cell).</summary>
public class SweepVerbTests
{
    static int Cli(params string[] args)
    {
        var root = new RootCommand("test") { new SweepVerb().Build() };
        root.Options.Add(GlobalOptions.Device);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Plan_writes_a_manifest_and_bad_flags_are_exit_code_2()
    {
        var dir = SweepTestSupport.NewFolder("verb");
        Assert.Equal(0, Cli("sweep", "plan", "--protocol", "rq1", "--print-config", "--quick"));
        Assert.Equal(0, Cli("sweep", "plan", dir, "--protocol", "rq2", "--quick"));
        var plan = SweepPlan.Load(dir);
        Assert.Equal("rq2", plan.Protocol);
        Assert.Equal(2, plan.Cells.Count);
        Assert.Equal(0, Cli("sweep", "plan", dir));                                     // shows the plan, keeps it
        Assert.Equal(plan.Cells, SweepPlan.Load(dir).Cells);
        Assert.Equal(0, Cli("sweep", "status", dir, "--all"));
        Assert.Equal(0, Cli("sweep", "submit", dir, "--slurm", "--dry-run", "--cells-per-task", "2", "--worker-device", "cuda")); // no GPU needed here
        var script = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(dir, "slurm"), "*.sbatch")));
        Assert.Contains("--device cuda --task", script);
        Assert.Contains("#SBATCH --array=0-0", script);

        Assert.Equal(2, Cli("sweep", "plan", dir + "-x"));                              // no --protocol
        Assert.Equal(2, Cli("sweep", "plan", dir, "--protocol", "rq9"));
        Assert.Equal(2, Cli("sweep", "plan", dir, "--protocol", "rq1", "--quick", "--config", "x.json"));
        Assert.Equal(2, Cli("sweep", "plan", dir, "--protocol", "rq1", "--config", Path.Combine(dir, "missing.json")));
        Assert.Equal(2, Cli("sweep", "submit", dir));                                   // no --slurm
        Assert.Equal(2, Cli("sweep", "worker", dir, "--cells", "not-an-id"));
        Assert.Equal(2, Cli("sweep", "run", dir, "--workers", "0"));
        Assert.Equal(2, Cli("sweep", "merge", dir));                                    // incomplete
        Assert.Equal(2, Cli("sweep", "status", dir + "-missing"));
    }

    [Fact]
    public void A_relative_sweepDir_is_also_resolved_from_where_notebooks_run_was_started()
    {
        // The kernel's current directory is the notebook's folder; the CLI passes its own as LLCLAB_CALLER_DIR.
        var root = SweepTestSupport.NewFolder("caller");
        string rel = Path.Combine("reference-results", "sweeps", "rqX-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(root, rel));
        File.WriteAllText(Path.Combine(root, rel, SweepPlan.FileName), "{}");
        Assert.Equal(rel, SweepPlan.ResolveFolder(rel));                                   // not set: as given
        string? old = Environment.GetEnvironmentVariable(SweepPlan.CallerDirVariable);
        try
        {
            Environment.SetEnvironmentVariable(SweepPlan.CallerDirVariable, root);
            Assert.Equal(Path.Combine(root, rel), SweepPlan.ResolveFolder(rel));
            Assert.Equal("/nowhere/abs", SweepPlan.ResolveFolder("/nowhere/abs"));         // absolute: as given
            var e = Assert.Throws<FileNotFoundException>(() => SweepPlan.Load("missing-sweep"));
            Assert.Contains(Path.Combine(root, "missing-sweep"), e.Message);                // the error names both places tried
        }
        finally { Environment.SetEnvironmentVariable(SweepPlan.CallerDirVariable, old); }
    }

    [Theory]
    [InlineData("2h30m", 150 * 60)]
    [InlineData("90m", 90 * 60)]
    [InlineData("45s", 45)]
    [InlineData("1h", 3600)]
    [InlineData("01:30:00", 90 * 60)]
    public void Time_budgets_parse_in_the_forms_the_help_names(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SweepVerb.ParseDuration(text, "--time-budget"));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    [InlineData("-01:00:00")]
    public void A_malformed_time_budget_is_a_clear_error(string text) =>
        Assert.Contains("--time-budget expects a duration", Assert.Throws<ArgumentException>(() => SweepVerb.ParseDuration(text, "--time-budget")).Message);
}
