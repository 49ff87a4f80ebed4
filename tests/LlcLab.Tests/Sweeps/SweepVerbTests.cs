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
}
