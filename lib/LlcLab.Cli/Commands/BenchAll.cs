using System.CommandLine;
using System.Globalization;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab bench all</c>: every speed and memory goal of issue #14 from one command. Runs, as child processes and
/// interleaved <c>--repeat</c> times, <c>bench sgld</c> (whole <c>llclab estimate</c> vs a minimal PyTorch SGLD loop, ≥ 5×;
/// minibatch SGLD on 784-256-256-10 vs plain training, ≤ 1.2×), <c>bench llc --autograd-only</c> (sampler overhead on the
/// autograd path, CNN and transformer, ≤ 1.10×) and <c>bench erase</c> (≥ 10× the float64 NumPy reference on 100,000 × 512,
/// resident memory ≤ 2 × (chunk + d² statistics)), then once <c>bench erase --n 1000000 --d 1024 --reference skip</c> (peak
/// resident memory ≤ 1,024 MiB). The children append their goal rows to one file (<see cref="BenchGoals.FileVariable"/>);
/// the table gives per goal the median of the repetitions, their range and PASS/FAIL on the median, with the load average
/// before and after (the machine may be shared).
/// </summary>
public sealed class BenchAll : IBenchmark
{
    public Command Build()
    {
        var repeat = new Option<int>("--repeat") { Description = "Interleaved repetitions of each bench (the median counts).", DefaultValueFactory = _ => 3 };
        var skipLarge = new Option<bool>("--skip-large") { Description = "Skip the 10⁶ × 1,024 erase memory check (writes a 4 GB file to --dir)." };
        var dir = new Option<string>("--dir") { Description = "Folder for the generated files (deleted afterwards).", DefaultValueFactory = _ => Path.GetTempPath() };
        var cmd = new Command("all", "Every issue-#14 goal (sgld, minibatch, autograd overhead, erase speed and memory) in one table with PASS/FAIL.") { repeat, skipLarge, dir };
        return cmd.WithAction(r =>
        {
            int reps = r.GetValue(repeat);
            if (reps < 1) throw new ArgumentException($"--repeat must be ≥ 1, got {reps}.");
            var folder = Path.GetFullPath(r.GetValue(dir)!);
            if (!Directory.Exists(folder)) throw new ArgumentException($"--dir {folder}: no such folder.");
            var goals = Path.Combine(folder, $"llclab-bench-goals-{Environment.ProcessId}.jsonl");
            var load0 = LoadAverage();
            Environment.SetEnvironmentVariable(BenchGoals.FileVariable, goals);
            try
            {
                string[][] benches = [["sgld", "--dir", folder], ["llc", "--autograd-only"], ["erase", "--dir", folder]];
                for (int i = 0; i < reps; i++)
                    foreach (var b in benches) Child(b, $"repetition {i + 1}/{reps}");
                if (!r.GetValue(skipLarge))
                    Child(["erase", "--n", "1000000", "--d", "1024", "--reference", "skip", "--peak-goal", "1024", "--dir", folder], "once");
                var rows = BenchGoals.ReadFile(goals);
                Console.WriteLine();
                Console.WriteLine($"issue #14 goals — {reps} interleaved repetition(s); load average (1 min) {load0} before, {LoadAverage()} after, on {Environment.ProcessorCount} cores");
                if (rows.Count == 0) Console.WriteLine("  no goal was measured (see the output above).");
                else BenchGoals.PrintTable(BenchGoals.Summarise(rows), Console.Out);
                return rows.Count > 0 && BenchGoals.Summarise(rows).All(g => g.Met) ? 0 : 1;
            }
            finally
            {
                Environment.SetEnvironmentVariable(BenchGoals.FileVariable, null);
                File.Delete(goals);
            }
        });
    }

    static void Child(string[] args, string when)
    {
        Console.WriteLine($"── llclab bench {string.Join(' ', args)} ({when}, load average {LoadAverage()})");
        var run = BenchProcess.Run(BenchProcess.Self(), [.. BenchProcess.SelfArgs(), "bench", .. args]);
        Console.Write(run.Output);
    }

    /// <summary>The 1-minute load average from /proc/loadavg ("?" where there is none).</summary>
    static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }
}
