using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

public class SlurmScriptTests
{
    static IReadOnlyList<PlannedCell> Cells(int n) =>
        Enumerable.Range(0, n).Select(i => new PlannedCell(i, CellId.Compute("rq1", $"{{\"i\":{i}}}", "v"), $"cell {i}", $"{{\"i\":{i}}}")).ToList();

    [Fact]
    public void The_script_has_one_array_task_per_chunk_resources_from_options_and_a_log_per_task()
    {
        var dir = SweepTestSupport.NewFolder("sbatch");
        var cells = Cells(5);
        var options = new SlurmOptions
        {
            CellsPerTask = 2, Partition = "gpu", Time = "01:00:00", CpusPerTask = 2, Memory = "4G", Gres = "gpu:1", Account = "lab",
            MaxConcurrent = 3, Extra = ["--qos=short"],
        };
        var batch = SlurmScript.Write(dir, "rq1", cells, options, new WorkerCommand("/opt/llclab/LlcLab.Cli", []), ["--device", "cuda"]);
        Assert.Equal(3, batch.Tasks);
        string script = File.ReadAllText(batch.ScriptPath);
        foreach (var line in new[] { "#SBATCH --array=0-2%3", "#SBATCH --partition=gpu", "#SBATCH --time=01:00:00", "#SBATCH --cpus-per-task=2",
                     "#SBATCH --mem=4G", "#SBATCH --gres=gpu:1", "#SBATCH --account=lab", "#SBATCH --qos=short",
                     $"#SBATCH --output={Path.Combine(Path.GetFullPath(dir), "logs", "slurm-%A_%a.out")}", "LLCLAB_THREADS:-2",
                     "exec /opt/llclab/LlcLab.Cli sweep worker", "--device cuda --task \"$SLURM_ARRAY_TASK_ID\"" })
            Assert.Contains(line, script);
        Assert.StartsWith("#!/bin/bash\n", script);
        Assert.Equal([cells[0].Id, cells[1].Id], SlurmScript.TaskCells(batch.TasksPath, 0));
        Assert.Equal([cells[4].Id], SlurmScript.TaskCells(batch.TasksPath, 2));
        Assert.Throws<ArgumentException>(() => SlurmScript.TaskCells(batch.TasksPath, 3));
        Assert.Throws<InvalidOperationException>(() => SlurmScript.Write(dir, "rq1", [], options, new WorkerCommand("x", [])));
        Assert.Throws<ArgumentException>(() => SlurmScript.Write(dir, "rq1", cells, options with { CellsPerTask = 0 }, new WorkerCommand("x", [])));
    }

    [Fact]
    public void Shell_quoting_and_eta()
    {
        Assert.Equal("/a/b.dll", WorkerCommand.Quote("/a/b.dll"));
        Assert.Equal("'it'\\''s here'", WorkerCommand.Quote("it's here"));
        var cell = Cells(1)[0];
        // 4 of 10 cells done in 40 s with 2 workers: 20 s of worker time per cell, 6 left on 2 workers → 60 s.
        var p = new SweepProgress(cell, CellOutcome.Ran, 4, 10, 0, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), 2);
        Assert.Equal(20, p.MeanCellSeconds, 9);
        Assert.Equal(60, p.Eta!.Value.TotalSeconds, 9);
        Assert.Null((p with { Finished = 0 }).Eta);
    }
}
