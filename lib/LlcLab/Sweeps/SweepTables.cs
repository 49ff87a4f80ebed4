using LlcLab.IO;

namespace LlcLab.Sweeps;

/// <summary>
/// The notebook side of sweeps: take a protocol's table from a finished sweep folder instead of computing it in-process,
/// so a cluster run and a laptop run draw the same figures. A notebook parameter names the folder, e.g.
/// <code>
/// string sweepDir = "";   // parameters cell: a finished `llclab sweep` folder, or "" to compute here
/// var result = sweepDir.Length &gt; 0 ? SweepTables.LoadExperiment(sweepDir, "rq1", expected: grid) : ErasureLlcExperiment.Run(options);
/// </code>
/// </summary>
public static class SweepTables
{
    /// <summary>
    /// The merged table of protocol <paramref name="protocol"/> in <paramref name="folder"/>: its shards merged in plan order (<see cref="SweepMerge"/>;
    /// also written to <c>merged/&lt;protocol&gt;.csv</c> when missing). With <paramref name="expected"/> (the protocol's configuration
    /// record, e.g. an <see cref="ErasureLlcGrid"/>, or a JSON string) the sweep must have been planned with exactly that
    /// configuration — otherwise the figures would silently describe another experiment.
    /// </summary>
    public static ResultsTable Load(string folder, string protocol, object? expected = null) => Read(folder, protocol, expected, partial: false).Table;

    /// <summary>
    /// As <see cref="Load"/>, but with <paramref name="partial"/> a sweep that is not finished is read too: the rows of its finished
    /// cells only (<see cref="SweepMerge.Finished"/>), with the status saying how many of the plan's cells they are. Every statistic
    /// computed from such a table is an interim one over the seeds that finished; say so beside it (<see cref="PartialNote"/>).
    /// </summary>
    public static (ResultsTable Table, SweepStatus Status) Read(string folder, string protocol, object? expected = null, bool partial = false)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("Empty sweep folder: give the folder a `llclab sweep` wrote (the notebook's sweepDir parameter).");
        folder = SweepPlan.ResolveFolder(folder);
        var plan = SweepPlan.Load(folder);
        if (!string.Equals(plan.Protocol, protocol, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{folder}' is a sweep of protocol '{plan.Protocol}', not '{protocol}'.");
        if (expected is not null)
        {
            var p = SweepProtocols.Get(protocol);
            // Both sides through today's configuration record, so a setting added after the sweep was planned reads as its default
            // on both (the sweep's code_version says which code made the rows).
            string want = p.CanonicalConfig(expected as string ?? SweepJson.Canonical(expected));
            string have = p.CanonicalConfig(plan.Config);
            if (want != have)
                throw new InvalidDataException($"The sweep in '{folder}' was planned with another {protocol} configuration than this notebook's.\n  sweep:    {have}\n  notebook: {want}");
        }
        // Always from the shards (digests checked), so a stale merged file can never stand in for the current plan.
        var (table, status) = SweepMerge.Finished(folder);
        if (status.Complete)
        {
            if (!File.Exists(SweepMerge.MergedPath(folder, plan.Protocol))) SweepMerge.Write(folder);
            return (table, status);
        }
        if (!partial) throw SweepMerge.Incomplete(folder, status);
        if (status.Done == 0) throw new InvalidOperationException($"The sweep in '{folder}' has no finished cell yet ({status.Total} planned); nothing to read.");
        return (table, status);
    }

    /// <summary>One line for a notebook to print beside results read with <see cref="Read"/>: empty when the sweep is complete.</summary>
    public static string PartialNote(SweepStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Complete ? "" : $"INTERIM: {status.Done} of {status.Total} cells of this sweep have finished ({status.Running} running, {status.Pending} pending, {status.Failed} failed); every number below is over the finished cells only.";
    }

    /// <summary>A configuration record as the indented JSON <c>llclab sweep plan --config</c> reads — e.g. to plan on a cluster
    /// exactly the grid a notebook would compute: <c>File.WriteAllText("rq1.json", SweepTables.ConfigJson(new ErasureLlcGrid { Options = options }))</c>.</summary>
    public static string ConfigJson(object config) => System.Text.Json.JsonSerializer.Serialize(config, config.GetType(), SweepJson.Indented);

    /// <summary><see cref="Read"/> wrapped as the protocol's <see cref="ExperimentResult"/> (what notebooks use). With
    /// <paramref name="partial"/> an unfinished sweep is read too (its finished cells), and <paramref name="note"/> gets the
    /// <see cref="PartialNote"/> (only when the sweep is unfinished).</summary>
    public static ExperimentResult LoadExperiment(string folder, string protocol, object? expected = null, bool partial = false, Action<string>? note = null)
    {
        var (table, status) = Read(folder, protocol, expected, partial);
        if (!status.Complete) note?.Invoke(PartialNote(status));
        return new ExperimentResult(SweepProtocols.Get(protocol).Experiment, table);
    }
}
