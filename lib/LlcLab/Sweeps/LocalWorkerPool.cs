using System.Diagnostics;

namespace LlcLab.Sweeps;

/// <summary>What a local run did.</summary>
/// <param name="Ran">Cells computed by this run.</param>
/// <param name="Failed">Cells whose protocol threw (error in <c>cells/&lt;id&gt;.failed.txt</c>; rerun with retry).</param>
/// <param name="Interrupted">Cells whose worker died without a result or an error (killed): still pending.</param>
/// <param name="AlreadyDone">Cells that were done before the run (skipped).</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record SweepRunReport(IReadOnlyList<PlannedCell> Ran, IReadOnlyList<PlannedCell> Failed, IReadOnlyList<PlannedCell> Interrupted,
    int AlreadyDone, TimeSpan Elapsed);

/// <summary>
/// Runs the pending cells of a sweep folder on this machine in <c>workers</c> separate processes, one process per cell
/// (<c>llclab sweep worker DIR --cells ID</c>), at most <c>workers</c> at a time. Each worker's output goes to
/// <c>logs/&lt;id&gt;.log</c>. Killing a worker (or this process) loses only the cells in flight: they stay pending and
/// the next run does exactly those. Failed cells are rerun only with <c>retryFailed</c>.
/// </summary>
public static class LocalWorkerPool
{
    /// <summary>Runs the pending (and with <paramref name="retryFailed"/>, failed) cells; reports each finished cell.</summary>
    public static SweepRunReport Run(string folder, int workers, WorkerCommand command, bool retryFailed = false,
        Action<SweepProgress>? progress = null, IReadOnlyList<string>? workerArgs = null, CancellationToken cancel = default)
    {
        if (workers < 1) throw new ArgumentException($"--workers must be ≥ 1, got {workers}.");
        var plan = SweepPlan.Load(folder);
        CellRunner.VerifyIds(plan);
        var store = new ShardStore(folder);
        var states = plan.Cells.Select(c => (Cell: c, State: store.State(c.Id))).ToList();
        var todo = states.Where(s => s.State == CellState.Pending || (retryFailed && s.State == CellState.Failed)).Select(s => s.Cell).ToList();
        int done = states.Count(s => s.State == CellState.Done);
        Directory.CreateDirectory(store.LogsFolder);
        var ran = new List<PlannedCell>();
        var failed = new List<PlannedCell>();
        var interrupted = new List<PlannedCell>();
        var clock = Stopwatch.StartNew();
        var gate = new object();
        int finished = 0;
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancel }, cell =>
        {
            var cellClock = Stopwatch.StartNew();
            var outcome = RunWorker(folder, cell, command, store, workerArgs ?? [], cancel);
            lock (gate)
            {
                (outcome switch { CellOutcome.Ran => ran, CellOutcome.Failed => failed, _ => interrupted }).Add(cell);
                finished++;
                progress?.Invoke(new SweepProgress(cell, outcome, finished, todo.Count, failed.Count + interrupted.Count,
                    cellClock.Elapsed, clock.Elapsed, workers));
            }
        });
        return new SweepRunReport(Sorted(ran), Sorted(failed), Sorted(interrupted), done, clock.Elapsed);
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
