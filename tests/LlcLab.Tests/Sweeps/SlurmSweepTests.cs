using System.Diagnostics;
using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

/// <summary>
/// Against a real single-node Slurm (Debian's slurmctld, slurmd, munge; tests/slurm/start-slurm.sh): the tiny RQ1 grid
/// submitted as an sbatch array merges to the same bytes as `sweep run --workers 2` and as the in-process protocol.
/// When the daemons cannot start the test fails with the reason (it is never skipped).
/// </summary>
public class SlurmSweepTests
{
    [Fact]
    public void Slurm_array_local_workers_and_in_process_protocol_give_byte_identical_tables()
    {
        string root = SweepTestSupport.RepoRoot();
        string cluster = SweepTestSupport.NewFolder("slurm");
        var start = Script(Path.Combine(root, "tests", "slurm", "start-slurm.sh"), cluster);
        try
        {
            Assert.True(start.ExitCode == 0, "the test Slurm cluster did not start (install: apt-get install -y slurmctld slurmd munge; run as root):\n" + start.Output);
            var env = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf") };

            string viaSlurm = SweepTestSupport.NewFolder("via-slurm");
            SweepTestSupport.PlanTiny(viaSlurm);
            var submit = SweepTestSupport.Cli(env, "sweep", "submit", viaSlurm, "--slurm", "--wait", "--time", "00:10:00");
            Assert.True(submit.ExitCode == 0, submit.Output + Logs(viaSlurm));
            Assert.Contains("2 cells in 2 array task(s)", submit.Output);
            Assert.Equal(2, Directory.GetFiles(Path.Combine(viaSlurm, "logs"), "slurm-*_*.out").Length);  // one log per array task
            Assert.True(SweepTestSupport.Cli(null, "sweep", "merge", viaSlurm).ExitCode == 0);

            string local = SweepTestSupport.NewFolder("via-local");
            SweepTestSupport.PlanTiny(local);
            var run = SweepTestSupport.Cli(null, "sweep", "run", local, "--workers", "2");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.True(SweepTestSupport.Cli(null, "sweep", "merge", local).ExitCode == 0);

            string slurmCsv = File.ReadAllText(SweepMerge.MergedPath(viaSlurm, "rq1"));
            Assert.Equal(File.ReadAllText(SweepMerge.MergedPath(local, "rq1")), slurmCsv);
            Assert.Equal(SweepTestSupport.InProcessCsv, slurmCsv);

            // Resubmitting a finished sweep submits nothing.
            var again = SweepTestSupport.Cli(env, "sweep", "submit", viaSlurm, "--slurm");
            Assert.Equal(2, again.ExitCode);
            Assert.Contains("every cell is done", again.Output);
        }
        finally
        {
            var stop = Script(Path.Combine(root, "tests", "slurm", "stop-slurm.sh"), cluster);
            Assert.True(stop.ExitCode == 0, stop.Output);
        }
    }

    static string Logs(string folder) =>
        string.Concat(Directory.Exists(Path.Combine(folder, "logs"))
            ? Directory.GetFiles(Path.Combine(folder, "logs")).Select(f => $"\n--- {f}\n{File.ReadAllText(f)}") : []);

    static (int ExitCode, string Output) Script(string path, string arg)
    {
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(path);
        psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }
}
