using System.Globalization;
using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// Builds a sweep's table from its shards: the rows of every cell in plan order (the protocol's enumeration order), each
/// row in the order the cell produced it, with the wall-clock column <c>elapsed_s</c> cleared — it measures the machine,
/// not the result — so the merged table is byte-identical whichever process, node or device order ran the cells, and
/// equals the in-process protocol's table after the same <see cref="Canonical(ResultsTable)"/>. The cells' timings go to
/// a separate cost table. Refuses an incomplete sweep, naming what is missing.
/// </summary>
public static class SweepMerge
{
    /// <summary>A row as it appears in merged tables (wall-clock time removed).</summary>
    public static ResultRow Canonical(ResultRow row) => row with { ElapsedS = null };

    /// <summary>A table as it appears merged: the same rows in the same order, <see cref="Canonical(ResultRow)"/>.</summary>
    public static ResultsTable Canonical(ResultsTable table) => new(table.Select(Canonical));

    /// <summary>The merged table of a complete sweep (not written).</summary>
    public static ResultsTable Table(string folder)
    {
        var (table, status) = Finished(folder);
        if (!status.Complete) throw Incomplete(folder, status);
        return table;
    }

    /// <summary>The error for reading an unfinished sweep as if it were complete, naming the first missing cell and the command that finishes it.</summary>
    public static InvalidOperationException Incomplete(string folder, SweepStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var missing = status.Cells.Where(c => c.State != CellState.Done).ToList();
        return new InvalidOperationException(
            $"The sweep in '{folder}' is incomplete: {status.Done}/{status.Total} cells done, {status.Failed} failed, {status.Running} running, {status.Pending} pending " +
            $"(first missing: cell {missing[0].Cell.Index}, {missing[0].Cell.Label}). Finish it with `llclab sweep run {folder}` (add --retry-failed for failed cells).");
    }

    /// <summary>The rows of the finished cells only (digests checked, plan order), for reading a sweep that is still running or was
    /// stopped: an interim table, never written to <c>merged/</c>. Returns it with the status, so the reader can say how many cells
    /// it holds.</summary>
    public static (ResultsTable Table, SweepStatus Status) Finished(string folder)
    {
        var status = SweepStatus.Read(folder);
        var store = new ShardStore(folder);
        var table = new ResultsTable();
        // Plan order, as the merged table has it.
        var done = status.Cells.Where(c => c.State == CellState.Done).Select(c => c.Cell.Id).ToHashSet();
        foreach (var cell in status.Plan.Cells.Where(c => done.Contains(c.Id))) table.AddRange(store.Rows(cell.Id).Select(Canonical));
        return (table, status);
    }

    /// <summary>Merges a complete sweep into <c>merged/&lt;protocol&gt;.csv</c> and <c>.json</c> plus <c>merged/&lt;protocol&gt;.cells.csv</c>
    /// (one line per cell: index, id, label, seconds, host, device, threads); returns the CSV path.</summary>
    public static string Write(string folder, string? csvPath = null)
    {
        var table = Table(folder);
        var plan = SweepPlan.Load(folder);
        string csv = Path.GetFullPath(csvPath ?? MergedPath(folder, plan.Protocol));
        table.WriteCsv(csv);
        table.WriteJson(Path.ChangeExtension(csv, ".json"));
        var store = new ShardStore(folder);
        var lines = new List<string> { Csv.Line(["index", "id", "label", "seconds", "host", "device", "threads", "rows", "code_version"]) };
        foreach (var c in plan.Cells)
        {
            var m = store.Meta(c.Id)!;
            lines.Add(Csv.Line([c.Index.ToString(CultureInfo.InvariantCulture), c.Id, c.Label, m.Seconds.ToString("R", CultureInfo.InvariantCulture), m.Host, m.Device,
                m.Threads.ToString(CultureInfo.InvariantCulture), m.Rows.ToString(CultureInfo.InvariantCulture), m.CodeVersion]));
        }
        AtomicFile.WriteAllText(Path.ChangeExtension(csv, null) + ".cells.csv", string.Join("\n", lines) + "\n");
        return csv;
    }

    /// <summary>Where <see cref="Write"/> puts the merged table by default.</summary>
    public static string MergedPath(string folder, string protocol) => Path.Combine(Path.GetFullPath(folder), "merged", protocol + ".csv");
}
