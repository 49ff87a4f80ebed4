using System.Globalization;
using System.Text;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>Resources and placement of a Slurm submission (each maps to one <c>#SBATCH</c> line; null = leave to the cluster's default).</summary>
public sealed record SlurmOptions
{
    /// <summary>Cells per array task (a task runs its cells one after another; larger chunks amortise start-up and queue waits).</summary>
    public int CellsPerTask { get; init; } = 1;
    /// <summary><c>--partition</c>, e.g. <c>gpu</c>.</summary>
    public string? Partition { get; init; }
    /// <summary><c>--time</c> per task, e.g. <c>02:00:00</c>.</summary>
    public string? Time { get; init; }
    /// <summary><c>--cpus-per-task</c>; also the libtorch threads of the worker (LLCLAB_THREADS).</summary>
    public int CpusPerTask { get; init; } = 1;
    /// <summary><c>--mem</c>, e.g. <c>4G</c>.</summary>
    public string? Memory { get; init; }
    /// <summary><c>--gres</c>, e.g. <c>gpu:1</c>.</summary>
    public string? Gres { get; init; }
    /// <summary><c>--account</c>.</summary>
    public string? Account { get; init; }
    /// <summary>At most this many array tasks at once (<c>--array=…%N</c>).</summary>
    public int? MaxConcurrent { get; init; }
    /// <summary>Extra <c>#SBATCH</c> arguments, verbatim (e.g. <c>--qos=short</c>).</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];
}

/// <summary>A written submission: the script, the task → cells file and the number of array tasks.</summary>
public sealed record SlurmBatch(string ScriptPath, string TasksPath, int Tasks, IReadOnlyList<IReadOnlyList<PlannedCell>> Chunks);

/// <summary>
/// Writes an <c>sbatch --array</c> script for cells of a sweep folder: array task k runs line k of a tasks file
/// (<c>slurm/batch-STAMP.tasks</c>, the ids of its chunk of cells) with <c>llclab sweep worker DIR --tasks FILE --task k</c>.
/// The chunks are fixed at submission, so a task does the same cells whenever it starts. Logs go to
/// <c>logs/slurm-%A_%a.out</c> (job id, task index).
/// </summary>
public static class SlurmScript
{
    /// <summary>Writes script and tasks file for <paramref name="cells"/> under <c>DIR/slurm/</c>.</summary>
    public static SlurmBatch Write(string folder, string protocol, IReadOnlyList<PlannedCell> cells, SlurmOptions options, WorkerCommand command,
        IReadOnlyList<string>? workerArgs = null)
    {
        if (cells.Count == 0) throw new InvalidOperationException("No cells to submit: every cell is done (see `llclab sweep status`).");
        if (options.CellsPerTask < 1) throw new ArgumentException($"--cells-per-task must be ≥ 1, got {options.CellsPerTask}.");
        if (options.CpusPerTask < 1) throw new ArgumentException($"--cpus-per-task must be ≥ 1, got {options.CpusPerTask}.");
        if (options.MaxConcurrent is < 1) throw new ArgumentException($"--max-concurrent must be ≥ 1, got {options.MaxConcurrent}.");
        folder = Path.GetFullPath(folder);
        var chunks = cells.Chunk(options.CellsPerTask).Select(c => (IReadOnlyList<PlannedCell>)c).ToList();
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        string dir = Path.Combine(folder, "slurm");
        string tasks = Path.Combine(dir, $"batch-{stamp}.tasks");
        string script = Path.Combine(dir, $"batch-{stamp}.sbatch");
        AtomicFile.WriteAllText(tasks, string.Concat(chunks.Select(c => string.Join(" ", c.Select(x => x.Id)) + "\n")));
        Directory.CreateDirectory(Path.Combine(folder, "logs"));

        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        void S(string line) => sb.Append("#SBATCH ").Append(line).Append('\n');
        S($"--job-name=llclab-{protocol}");
        S($"--array=0-{chunks.Count - 1}{(options.MaxConcurrent is int m ? $"%{m}" : "")}");
        S($"--output={Path.Combine(folder, "logs", "slurm-%A_%a.out")}");
        S("--ntasks=1");
        S($"--cpus-per-task={options.CpusPerTask}");
        if (options.Partition is { Length: > 0 } p) S($"--partition={p}");
        if (options.Time is { Length: > 0 } t) S($"--time={t}");
        if (options.Memory is { Length: > 0 } mem) S($"--mem={mem}");
        if (options.Gres is { Length: > 0 } g) S($"--gres={g}");
        if (options.Account is { Length: > 0 } a) S($"--account={a}");
        foreach (var e in options.Extra) S(e);
        sb.Append($"# {cells.Count} cells of sweep {folder} in {chunks.Count} tasks of ≤ {options.CellsPerTask} cells; written by `llclab sweep submit --slurm`.\n");
        sb.Append("set -euo pipefail\n");
        sb.Append($"export LLCLAB_THREADS=\"${{LLCLAB_THREADS:-{options.CpusPerTask}}}\"\n");
        sb.Append("exec ").Append(command.ShellLine(new[] { "sweep", "worker", folder, "--tasks", tasks }.Concat(workerArgs ?? [])))
          .Append(" --task \"$SLURM_ARRAY_TASK_ID\"\n");
        AtomicFile.WriteAllText(script, sb.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return new SlurmBatch(script, tasks, chunks.Count, chunks);
    }

    /// <summary>The cell ids of array task <paramref name="task"/> in a tasks file.</summary>
    public static IReadOnlyList<string> TaskCells(string tasksPath, int task)
    {
        if (!File.Exists(tasksPath)) throw new FileNotFoundException($"No tasks file '{tasksPath}' (--tasks).", tasksPath);
        var lines = File.ReadAllLines(tasksPath);
        if (task < 0 || task >= lines.Length) throw new ArgumentException($"--task {task} is outside 0–{lines.Length - 1} of '{tasksPath}'.");
        return lines[task].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
