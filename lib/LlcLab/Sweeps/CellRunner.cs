using LlcLab.IO;
using System.Diagnostics;
using LlcLab.Runtime;

namespace LlcLab.Sweeps;

/// <summary>The outcome of one cell in a worker.</summary>
public enum CellOutcome
{
    /// <summary>Computed now.</summary>
    Ran,
    /// <summary>Was already done.</summary>
    Skipped,
    /// <summary>The protocol threw; the error is stored.</summary>
    Failed,
    /// <summary>The worker died (killed) before finishing; the cell is still pending.</summary>
    Interrupted,
}

/// <summary>
/// Runs cells of a planned sweep in this process — the body of <c>llclab sweep worker</c>. For each cell: skip it if done;
/// re-derive its id from its input and this build's <see cref="CodeVersion"/> and refuse a mismatch (the plan was made by
/// other code); mark it running; run the protocol; store shard and metadata atomically (<see cref="ShardStore"/>). An
/// exception fails that cell (its message is stored) and the worker goes on with the next one.
/// </summary>
public static class CellRunner
{
    /// <summary>Runs <paramref name="ids"/> (all pending cells when null); returns each cell's outcome in order.</summary>
    public static IReadOnlyList<(PlannedCell Cell, CellOutcome Outcome)> Run(string folder, IReadOnlyList<string>? ids = null, TextWriter? log = null)
    {
        var plan = SweepPlan.Load(folder);
        var protocol = SweepProtocols.Get(plan.Protocol);
        var store = new ShardStore(folder);
        var cells = ids is null ? plan.Cells : ids.Select(plan.Cell).ToList();
        string version = CodeVersion.Current;
        var results = new List<(PlannedCell, CellOutcome)>();
        foreach (var cell in cells)
        {
            if (store.IsDone(cell.Id)) { log?.WriteLine($"cell {cell.Index} {cell.Id} ({cell.Label}): already done"); results.Add((cell, CellOutcome.Skipped)); continue; }
            VerifyId(protocol, plan, cell, version);
            store.MarkRunning(cell.Id);
            log?.WriteLine($"cell {cell.Index} {cell.Id} ({cell.Label}): start on {Environment.MachineName} pid {Environment.ProcessId}");
            var clock = Stopwatch.StartNew();
            try
            {
                ResultsTable rows;
                using (Heartbeat(store, cell.Id)) rows = protocol.Run(cell.Input, log);
                var meta = store.WriteDone(cell, version, rows, clock.Elapsed.TotalSeconds, Devices.Default.type.ToString().ToLowerInvariant(), TorchSharp.torch.get_num_threads());
                log?.WriteLine(FormattableString.Invariant($"cell {cell.Index} {cell.Id}: done, {meta.Rows} rows in {meta.Seconds:F1} s"));
                results.Add((cell, CellOutcome.Ran));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                store.WriteFailure(cell.Id, e);
                log?.WriteLine($"cell {cell.Index} {cell.Id}: FAILED: {e.Message}");
                results.Add((cell, CellOutcome.Failed));
            }
        }
        return results;
    }

    /// <summary>Refreshes the cell's running marker every <see cref="ShardStore.HeartbeatInterval"/> until disposed (disposal waits
    /// for a callback in flight, so no marker is rewritten after the cell's result).</summary>
    static IDisposable Heartbeat(ShardStore store, string id)
    {
        var started = DateTime.UtcNow;
        var timer = new Timer(_ =>
        {
            try { store.Heartbeat(id, started); } catch (IOException) { } // a missed beat only makes the marker look older
        }, null, ShardStore.HeartbeatInterval, ShardStore.HeartbeatInterval);
        return new Stopper(timer);
    }

    sealed class Stopper(Timer timer) : IDisposable
    {
        public void Dispose()
        {
            using var done = new ManualResetEvent(false);
            if (timer.Dispose(done)) done.WaitOne();
        }
    }

    /// <summary>Throws unless every cell's id is what this build derives from its input (see <see cref="Run"/>).</summary>
    public static void VerifyIds(SweepPlan plan)
    {
        var protocol = SweepProtocols.Get(plan.Protocol);
        foreach (var cell in plan.Cells) VerifyId(protocol, plan, cell, CodeVersion.Current);
    }

    static void VerifyId(ISweepProtocol protocol, SweepPlan plan, PlannedCell cell, string version)
    {
        string derived = CellId.Compute(protocol.Name, protocol.CanonicalCell(cell.Input), version);
        if (derived != cell.Id)
            throw new InvalidOperationException(
                $"Cell {cell.Index} ({cell.Label}) was planned as {cell.Id} by code version {plan.CodeVersion}, but this build ({version}) derives {derived}. " +
                "The code or the cell's input format changed since planning: run `llclab sweep plan` again (new ids; old shards are not reused).");
    }
}
