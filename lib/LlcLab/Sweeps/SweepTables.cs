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
    public static ResultsTable Load(string folder, string protocol, object? expected = null)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("Empty sweep folder: give the folder a `llclab sweep` wrote (the notebook's sweepDir parameter).");
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
        var table = SweepMerge.Table(folder);
        if (!File.Exists(SweepMerge.MergedPath(folder, plan.Protocol))) SweepMerge.Write(folder);
        return table;
    }

    /// <summary>A configuration record as the indented JSON <c>llclab sweep plan --config</c> reads — e.g. to plan on a cluster
    /// exactly the grid a notebook would compute: <c>File.WriteAllText("rq1.json", SweepTables.ConfigJson(new ErasureLlcGrid { Options = options }))</c>.</summary>
    public static string ConfigJson(object config) => System.Text.Json.JsonSerializer.Serialize(config, config.GetType(), SweepJson.Indented);

    /// <summary><see cref="Load"/> wrapped as the protocol's <see cref="ExperimentResult"/> (what notebooks use).</summary>
    public static ExperimentResult LoadExperiment(string folder, string protocol, object? expected = null) =>
        new(SweepProtocols.Get(protocol).Experiment, Load(folder, protocol, expected));
}
