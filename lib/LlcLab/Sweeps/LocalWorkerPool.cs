using System.Diagnostics;

namespace LlcLab.Sweeps;

/// <summary>What a local run did.</summary>
/// <param name="Ran">Cells computed by this run.</param>
/// <param name="Failed">Cells whose protocol threw (error in <c>cells/&lt;id&gt;.failed.txt</c>; rerun with retry).</param>
/// <param name="Interrupted">Cells whose worker died without a result or an error (killed): still pending.</param>
/// <param name="AlreadyDone">Cells that were done before the run (skipped).</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record SweepRunReport(IReadOnlyList<PlannedCell> Ran, IReadOnlyList<PlannedCell> Failed, IReadOnlyList<PlannedCell> Interrupted,
    int AlreadyDone, TimeSpan Elapsed)
{
    /// <summary>Cells not started because a drain was requested (<see cref="LocalWorkerPool.RequestDrain"/>): still pending.</summary>
    public IReadOnlyList<PlannedCell> Drained { get; init; } = [];

    /// <summary>Cells not started because they would not have finished within the run's time budget: still pending.</summary>
    public IReadOnlyList<PlannedCell> OverBudget { get; init; } = [];

    /// <summary>The per-cell wall time the budget was judged with (this run's finished cells, else the sweep's, else the prior).</summary>
    public double? SecondsPerCell { get; init; }
}

/// <summary>
/// Runs the pending cells of a sweep folder on this machine in <c>workers</c> separate processes, one process per cell
/// (<c>llclab sweep worker DIR --cells ID</c>), at most <c>workers</c> at a time. Each worker's output goes to
/// <c>logs/&lt;id&gt;.log</c>. Killing a worker (or this process) loses only the cells in flight: they stay pending and
/// the next run does exactly those. Failed cells are rerun only with <c>retryFailed</c>. A drain (<see cref="RequestDrain"/>,
/// <c>llclab sweep drain DIR</c>) stops a run gracefully: no new cell starts, the cells in flight finish and are kept — the way to end
/// a session that cannot wait for the whole sweep without losing the hours already spent on the cells running.
/// </summary>
public static class LocalWorkerPool
{
    /// <summary>The drain request file of a sweep folder (its presence is the request; its text says when it was made).</summary>
    public static string DrainPath(string folder) => Path.Combine(folder, "DRAIN");

    /// <summary>Asks the runs of <paramref name="folder"/> in progress to start no new cell (cells in flight finish).</summary>
    public static void RequestDrain(string folder)
    {
        SweepPlan.Load(folder);   // a clear error for a folder that is not a sweep
        IO.AtomicFile.WriteAllText(DrainPath(folder), $"drain requested {DateTime.UtcNow:O} from pid {Environment.ProcessId}\n");
    }

    /// <summary>Runs the pending (and with <paramref name="retryFailed"/>, failed) cells; reports each finished cell. With
    /// <paramref name="budget"/>, a cell starts only if it is expected to finish within that time from the start of the run — expected from
    /// the mean wall time of the cells this run finished, else of the sweep's done cells (<see cref="SweepStatus.SecondsPerCell"/>, which
    /// before any cell is done is the protocol's prior); the others stay pending, so a session ends with every hour spent kept.</summary>
    public static SweepRunReport Run(string folder, int workers, WorkerCommand command, bool retryFailed = false,
        Action<SweepProgress>? progress = null, IReadOnlyList<string>? workerArgs = null, CancellationToken cancel = default,
        TimeSpan? budget = null)
    {
        if (workers < 1) throw new ArgumentException($"--workers must be ≥ 1, got {workers}.");
        var plan = SweepPlan.Load(folder);
        CellRunner.VerifyIds(plan);
        var store = new ShardStore(folder);
        var states = plan.Cells.Select(c => (Cell: c, State: store.State(c.Id))).ToList();
        var todo = states.Where(s => s.State == CellState.Pending || (retryFailed && s.State == CellState.Failed)).Select(s => s.Cell).ToList();
        int done = states.Count(s => s.State == CellState.Done);
        Directory.CreateDirectory(store.LogsFolder);
        var gate = new object();
        var ran = new List<PlannedCell>();
        var failed = new List<PlannedCell>();
        var interrupted = new List<PlannedCell>();
        var drained = new List<PlannedCell>();
        var overBudget = new List<PlannedCell>();
        var runSeconds = new List<double>();
        double? sweepSeconds = budget is null ? null : SweepStatus.Read(folder).SecondsPerCell;
        double? Estimate() { lock (gate) return runSeconds.Count > 0 ? runSeconds.Average() : sweepSeconds; }
        // A request left over from an earlier run would stop this one before it starts: requests apply to runs in progress.
        if (File.Exists(DrainPath(folder))) File.Delete(DrainPath(folder));
        var clock = Stopwatch.StartNew();
        int finished = 0;
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancel }, cell =>
        {
            if (File.Exists(DrainPath(folder))) { lock (gate) drained.Add(cell); return; }
            if (budget is { } b && Estimate() is double est && clock.Elapsed.TotalSeconds + est > b.TotalSeconds) { lock (gate) overBudget.Add(cell); return; }
            var cellClock = Stopwatch.StartNew();
            var outcome = RunWorker(folder, cell, command, store, workerArgs ?? [], cancel);
            lock (gate)
            {
                if (outcome == CellOutcome.Ran) runSeconds.Add(cellClock.Elapsed.TotalSeconds);
                (outcome switch { CellOutcome.Ran => ran, CellOutcome.Failed => failed, _ => interrupted }).Add(cell);
                finished++;
                progress?.Invoke(new SweepProgress(cell, outcome, finished, todo.Count, failed.Count + interrupted.Count,
                    cellClock.Elapsed, clock.Elapsed, workers));
            }
        });
        if (drained.Count > 0 && File.Exists(DrainPath(folder))) File.Delete(DrainPath(folder));   // served
        return new SweepRunReport(Sorted(ran), Sorted(failed), Sorted(interrupted), done, clock.Elapsed) { Drained = Sorted(drained), OverBudget = Sorted(overBudget), SecondsPerCell = budget is null ? null : Estimate() };
    }

    static List<PlannedCell> Sorted(List<PlannedCell> cells) => cells.OrderBy(c => c.Index).ToList();

    static CellOutcome RunWorker(string folder, PlannedCell cell, WorkerCommand command, ShardStore store, IReadOnlyList<string> extra, CancellationToken cancel)
    {
        string log = Path.Combine(store.LogsFolder, cell.Id + ".log");
        var psi = command.Start(new[] { "sweep", "worker", Path.GetFullPath(folder), "--cells", cell.Id }.Concat(extra));
        using var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        if (!p.Start()) throw new InvalidOperationException($"Could not start a worker: {command.ShellLine([])}");
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using (cancel.Register(() => { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            p.WaitForExit();
        if (store.IsDone(cell.Id)) return CellOutcome.Ran;
        if (store.State(cell.Id) == CellState.Failed) return CellOutcome.Failed;
        // Died without a result or an error (killed): the cell stays pending for the next run; its marker is stale.
        File.Delete(store.RunningPath(cell.Id));
        lock (writer) writer.WriteLine($"[sweep] worker exited with code {p.ExitCode} without finishing cell {cell.Id}; it stays pending.");
        return CellOutcome.Interrupted;
    }
}
