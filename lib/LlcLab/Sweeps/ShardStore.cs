using System.Security.Cryptography;
using System.Text.Json;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>What a finished cell records next to its shard: where and how long it ran, and the shard's digest.</summary>
public sealed record CellMeta(string Id, int Index, string Label, string CodeVersion, double Seconds, string Host, string Device,
    int Threads, DateTime FinishedUtc, int Rows, string ShardSha256);

/// <summary>A running marker: who is computing a cell (for status, and to tell a live run from an interrupted one). The worker
/// rewrites it every <see cref="ShardStore.HeartbeatInterval"/>, so a marker left by a killed task on another node goes stale.</summary>
public sealed record CellRunning(string Host, int Pid, DateTime StartedUtc, DateTime HeartbeatUtc);

/// <summary>State of one cell in a sweep folder.</summary>
public enum CellState
{
    /// <summary>Not started, or interrupted (a worker killed mid-cell leaves no shard).</summary>
    Pending,
    /// <summary>A live worker holds it.</summary>
    Running,
    /// <summary>The last attempt threw; the error is in <c>cells/&lt;id&gt;.failed.txt</c>.</summary>
    Failed,
    /// <summary>Shard and metadata written.</summary>
    Done,
}

/// <summary>
/// The files of a sweep folder's cells, under <c>cells/</c>: <c>&lt;id&gt;.csv</c> (the shard: the cell's tidy rows),
/// <c>&lt;id&gt;.meta.json</c> (<see cref="CellMeta"/>), <c>&lt;id&gt;.failed.txt</c> (the last error) and
/// <c>&lt;id&gt;.running.json</c>. Every file is written atomically (<see cref="AtomicFile"/>) and the metadata last, carrying
/// the shard's SHA-256: a cell is done exactly when its metadata exists and the shard matches it, so a worker killed at
/// any moment leaves either a done cell or a pending one, never a half-written shard that counts.
/// </summary>
public sealed class ShardStore
{
    /// <summary>The sweep folder.</summary>
    public string Folder { get; }
    /// <summary>Where the cell files live.</summary>
    public string CellsFolder { get; }
    /// <summary>Worker logs (one per cell for local runs, one per array task for Slurm).</summary>
    public string LogsFolder { get; }

    public ShardStore(string folder)
    {
        Folder = Path.GetFullPath(folder);
        CellsFolder = Path.Combine(Folder, "cells");
        LogsFolder = Path.Combine(Folder, "logs");
    }

    public string ShardPath(string id) => Path.Combine(CellsFolder, id + ".csv");
    public string MetaPath(string id) => Path.Combine(CellsFolder, id + ".meta.json");
    public string FailurePath(string id) => Path.Combine(CellsFolder, id + ".failed.txt");
    public string RunningPath(string id) => Path.Combine(CellsFolder, id + ".running.json");

    /// <summary>The metadata of a done cell, or null.</summary>
    public CellMeta? Meta(string id)
    {
        var p = MetaPath(id);
        if (!File.Exists(p)) return null;
        try { return JsonSerializer.Deserialize<CellMeta>(File.ReadAllText(p), SweepJson.Compact); }
        catch (JsonException) { return null; } // unreadable metadata: the cell is simply not done
    }

    /// <summary>Whether the cell is done (metadata present and the shard's bytes match its digest).</summary>
    public bool IsDone(string id) => Meta(id) is { } m && File.Exists(ShardPath(id)) && Digest(File.ReadAllBytes(ShardPath(id))) == m.ShardSha256;

    /// <summary>The state of a cell (a stale running marker of a dead process counts as pending or failed).</summary>
    public CellState State(string id)
    {
        if (IsDone(id)) return CellState.Done;
        if (Running(id) is { } r && IsAlive(r)) return CellState.Running;
        return File.Exists(FailurePath(id)) ? CellState.Failed : CellState.Pending;
    }

    /// <summary>The running marker, if any (it may be stale: see <see cref="IsAlive"/>).</summary>
    public CellRunning? Running(string id)
    {
        var p = RunningPath(id);
        if (!File.Exists(p)) return null;
        try { return JsonSerializer.Deserialize<CellRunning>(File.ReadAllText(p), SweepJson.Compact); }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    /// <summary>How often a worker refreshes its running marker.</summary>
    public static TimeSpan HeartbeatInterval { get; } = TimeSpan.FromSeconds(60);

    /// <summary>A marker whose heartbeat is older than this belongs to a dead worker (a node lost or a task killed by Slurm).</summary>
    public static TimeSpan StaleAfter { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether a marker's worker still runs: its heartbeat is recent and, on this host, its process exists.</summary>
    public static bool IsAlive(CellRunning r)
    {
        if (DateTime.UtcNow - r.HeartbeatUtc > StaleAfter) return false;
        if (!string.Equals(r.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true; // cannot look at another node's processes
        try { using var p = System.Diagnostics.Process.GetProcessById(r.Pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>The first line of the last failure, or null.</summary>
    public string? FailureLine(string id)
    {
        var p = FailurePath(id);
        if (!File.Exists(p)) return null;
        return File.ReadLines(p).FirstOrDefault() ?? "";
    }

    /// <summary>The rows of a done cell (throws if the shard is missing or does not match its metadata).</summary>
    public ResultsTable Rows(string id)
    {
        var m = Meta(id) ?? throw new InvalidOperationException($"Cell {id} is not done (no {Path.GetFileName(MetaPath(id))}).");
        var bytes = File.Exists(ShardPath(id)) ? File.ReadAllBytes(ShardPath(id)) : throw new InvalidOperationException($"Cell {id}: the shard {ShardPath(id)} is missing.");
        if (Digest(bytes) != m.ShardSha256)
            throw new InvalidDataException($"Cell {id}: the shard {ShardPath(id)} does not match its recorded SHA-256; delete {MetaPath(id)} and rerun the cell.");
        return ResultsTable.ParseCsv(System.Text.Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Marks a cell as being computed by this process (a new attempt: the previous failure, if any, is cleared).</summary>
    public void MarkRunning(string id)
    {
        var now = DateTime.UtcNow;
        AtomicFile.WriteAllText(RunningPath(id), JsonSerializer.Serialize(new CellRunning(Environment.MachineName, Environment.ProcessId, now, now), SweepJson.Compact));
        Delete(FailurePath(id));
    }

    /// <summary>Refreshes this process's running marker (see <see cref="HeartbeatInterval"/>).</summary>
    public void Heartbeat(string id, DateTime startedUtc) =>
        AtomicFile.WriteAllText(RunningPath(id), JsonSerializer.Serialize(new CellRunning(Environment.MachineName, Environment.ProcessId, startedUtc, DateTime.UtcNow), SweepJson.Compact));

    /// <summary>Stores a finished cell: shard first, then metadata (with the shard's digest), then clears markers.</summary>
    public CellMeta WriteDone(PlannedCell cell, string codeVersion, ResultsTable rows, double seconds, string device, int threads)
    {
        var csv = System.Text.Encoding.UTF8.GetBytes(rows.ToCsv());
        AtomicFile.WriteAllBytes(ShardPath(cell.Id), csv);
        var meta = new CellMeta(cell.Id, cell.Index, cell.Label, codeVersion, Math.Round(seconds, 3), Environment.MachineName, device, threads,
            DateTime.UtcNow, rows.Count, Digest(csv));
        AtomicFile.WriteAllText(MetaPath(cell.Id), JsonSerializer.Serialize(meta, SweepJson.Indented) + "\n");
        Delete(FailurePath(cell.Id));
        Delete(RunningPath(cell.Id));
        return meta;
    }

    /// <summary>Records a failed attempt (first line: the exception's message).</summary>
    public void WriteFailure(string id, Exception e)
    {
        AtomicFile.WriteAllText(FailurePath(id), $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}\n\n{e}\n");
        Delete(RunningPath(id));
    }

    static string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    static void Delete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
