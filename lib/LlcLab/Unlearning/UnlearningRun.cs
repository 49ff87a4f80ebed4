using System.Globalization;
using LlcLab.IO;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>Where and how an <see cref="UnlearningRun"/> records its results.</summary>
public sealed record UnlearningRunOptions
{
    /// <summary>Output folder (checkpoints/, metrics.csv, metrics.json, manifest.json); null keeps everything in memory.</summary>
    public string? OutDir { get; init; }
    /// <summary>The results table's experiment column.</summary>
    public string Experiment { get; init; } = "unlearning";
    /// <summary>Write each checkpoint's weights as <c>checkpoints/step-NNNNNN.safetensors</c>.</summary>
    public bool SaveCheckpoints { get; init; } = true;
    /// <summary>Adds <c>{metric}_gap_to_retrain</c> rows against a retrained model's values.</summary>
    public RetrainGap? RetrainGap { get; init; }
    /// <summary>Extra identity fields for the manifest (e.g. the model file's hash, the data and split seeds); a resumed run
    /// must match them. Values that parse as numbers are stored as JSON numbers.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();
    /// <summary>Extra safetensors metadata for every checkpoint file (e.g. the data choice, so a checkpoint given to
    /// another verb defaults to the same data and split).</summary>
    public IReadOnlyDictionary<string, string> CheckpointMetadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Called after each checkpoint is evaluated (and written), with its rows — e.g. to print progress.</summary>
    public Action<UnlearningCheckpoint, IReadOnlyList<ResultRow>>? Progress { get; init; }
}

/// <summary>What an unlearning run produced.</summary>
/// <param name="Table">Every metric row of the run (including rows from an earlier, interrupted invocation).</param>
/// <param name="Steps">The checkpoint steps of the run, in order.</param>
/// <param name="Evaluated">Checkpoints evaluated in this invocation.</param>
/// <param name="Resumed">Checkpoints skipped because their metrics were already in the table.</param>
public sealed record UnlearningRunResult(ResultsTable Table, IReadOnlyList<int> Steps, int Evaluated, int Resumed)
{
    /// <summary>The metric values at the last checkpoint (e.g. a retrain run's reference for <see cref="RetrainGap"/>).</summary>
    public IReadOnlyList<MetricValue> Final
    {
        get
        {
            if (Steps.Count == 0) return [];
            long last = Steps[^1];
            return Table.Where(r => r.Step == last).Select(r => new MetricValue(r.Metric, r.Value)
            {
                Std = r.Std, Layer = r.Layer, DataSubset = r.DataSubset, NChains = r.NChains, NDraws = r.NDraws,
                Localization = r.Localization, NBeta = r.Nbeta,
            }).ToList();
        }
    }
}

/// <summary>
/// Runs an unlearning procedure and evaluates metrics at every checkpoint, writing a tidy long-format
/// table (one row per checkpoint per metric value) as it goes. With an output folder the run is
/// resumable into a folder whose manifest matches (<see cref="UnlearningRunManifest"/>; a mismatch is refused):
/// checkpoints whose rows are already in <c>metrics.csv</c> are not evaluated again
/// (procedures are deterministic, so the procedure is replayed — cheap — and only the metrics, the
/// expensive part, are skipped). Per checkpoint, the weights file is written before the table rows, and
/// the table (CSV then JSON) is rewritten atomically, so an interruption never leaves partial rows.
/// </summary>
public static class UnlearningRun
{
    /// <summary>The metrics used when none are given: accuracies always; membership inference with a test set;
    /// concept probes when the test set has concept labels.</summary>
    public static IReadOnlyList<ICheckpointMetric> DefaultMetrics(UnlearningData data)
    {
        var list = new List<ICheckpointMetric> { new AccuracyMetric() };
        if (data.Test is not null) list.Add(new MembershipInferenceMetric());
        if (data.Test?.Concept is not null) list.Add(new ConceptProbeMetric());
        return list;
    }

    public static UnlearningRunResult Execute(Network original, UnlearningData data, IUnlearningProcedure procedure,
        IReadOnlyList<ICheckpointMetric>? metrics = null, long seed = 0, UnlearningRunOptions? options = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(procedure);
        var o = options ?? new UnlearningRunOptions();
        metrics ??= DefaultMetrics(data);
        var files = o.OutDir is null ? null : new RunFiles(o.OutDir, o);
        var manifest = UnlearningRunManifest.Build(original, data, procedure, metrics, seed, o);
        var table = files?.Open(manifest, procedure) ?? new ResultsTable();
        var done = table.Where(r => r.Step is not null).Select(r => (int)r.Step!.Value).ToHashSet();

        var steps = new List<int>();
        int evaluated = 0, resumed = 0;
        try
        {
            foreach (var ck in procedure.Run(original, data, seed))
            {
                steps.Add(ck.Step);
                if (done.Contains(ck.Step))
                {
                    resumed++;
                    if (files is not null && o.SaveCheckpoints && !File.Exists(files.CheckpointPath(ck.Step))) files.WriteCheckpoint(ck, original);
                    continue;
                }
                cancellation.ThrowIfCancellationRequested();
                var rows = Evaluate(ck, original, data, procedure, metrics, seed, o);
                if (files is not null)
                {
                    if (o.SaveCheckpoints) files.WriteCheckpoint(ck, original);
                    table.AddRange(rows);
                    files.WriteTable(table);
                }
                else table.AddRange(rows);
                evaluated++;
                o.Progress?.Invoke(ck, rows);
                cancellation.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException)
        {
            files?.SetStatus(manifest, "interrupted", null);
            throw;
        }
        catch (Exception e)
        {
            files?.SetStatus(manifest, "failed", e.Message);
            throw;
        }
        files?.SetStatus(manifest, "finished", null);
        return new UnlearningRunResult(table, steps, evaluated, resumed);
    }

    static List<ResultRow> Evaluate(UnlearningCheckpoint ck, Network original, UnlearningData data, IUnlearningProcedure procedure,
        IReadOnlyList<ICheckpointMetric> metrics, long seed, UnlearningRunOptions o)
    {
        using var scope = NewDisposeScope();
        using var model = ck.ToNetwork(original);
        var context = new CheckpointContext(ck, model, original, data, seed);
        var values = new List<MetricValue>();
        foreach (var m in metrics)
        {
            try { values.AddRange(m.Evaluate(context)); }
            catch (Exception e) when (e is not (ArgumentException or InvalidOperationException or InvalidDataException))
            {
                throw new InvalidOperationException($"Metric '{m.Name}' failed at step {ck.Step} of '{procedure.Name}': {e.Message}", e);
            }
        }
        if (o.RetrainGap is { } gap) values.AddRange(gap.Gaps(values).ToList());
        values.Add(new MetricValue("samples_seen", ck.Usage.ForgetDraws) { DataSubset = "forget" });
        values.Add(new MetricValue("samples_seen", ck.Usage.RetainDraws) { DataSubset = "retain" });
        if (!double.IsNaN(ck.Loss)) values.Add(new MetricValue("objective", ck.Loss));
        if (ck.Strength is { } t) values.Add(new MetricValue("strength", t));
        return values.Select(v => new ResultRow
        {
            Experiment = o.Experiment, Model = original.Spec.Text, Procedure = procedure.Name, Step = ck.Step, Seed = seed,
            Metric = v.Metric, Value = v.Value, Std = v.Std, NChains = v.NChains, NDraws = v.NDraws,
            Lr = v.Lr ?? (double.IsNaN(procedure.Lr) ? null : procedure.Lr), Localization = v.Localization, Nbeta = v.NBeta,
            Layer = v.Layer, DataSubset = v.DataSubset, ElapsedS = ck.ElapsedSeconds,
        }).ToList();
    }

    /// <summary>The files of a run folder.</summary>
    sealed class RunFiles(string dir, UnlearningRunOptions options)
    {
        string ManifestPath => Path.Combine(dir, "manifest.json");
        string CsvPath => Path.Combine(dir, "metrics.csv");
        string JsonPath => Path.Combine(dir, "metrics.json");
        public string CheckpointPath(int step) => Path.Combine(dir, "checkpoints", $"step-{step:D6}.safetensors");

        /// <summary>Creates the folder, or checks that an existing one holds the same run (see
        /// <see cref="UnlearningRunManifest"/>), and returns the rows so far.</summary>
        public ResultsTable Open(System.Text.Json.Nodes.JsonObject manifest, IUnlearningProcedure procedure)
        {
            if (File.Exists(ManifestPath))
                UnlearningRunManifest.Reconcile(dir, UnlearningRunManifest.Read(ManifestPath), manifest, procedure);
            Directory.CreateDirectory(dir);
            UnlearningRunManifest.Write(ManifestPath, manifest);
            if (!File.Exists(CsvPath)) return new ResultsTable();
            var table = ResultsTable.ReadCsv(CsvPath);
            table.WriteJson(JsonPath); // the CSV is the source of truth; the JSON may lag one checkpoint after an interruption
            return table;
        }

        /// <summary>Records how the last invocation ended (not part of the run's identity).</summary>
        public void SetStatus(System.Text.Json.Nodes.JsonObject manifest, string status, string? error)
        {
            manifest["status"] = status;
            if (error is null) manifest.Remove("error"); else manifest["error"] = error;
            try { UnlearningRunManifest.Write(ManifestPath, manifest); }
            catch (IOException) { } // never hide the run's own error behind a failed status update
        }

        public void WriteTable(ResultsTable table)
        {
            table.WriteCsv(CsvPath);
            table.WriteJson(JsonPath);
        }

        public void WriteCheckpoint(UnlearningCheckpoint ck, Network original)
        {
            var extra = options.CheckpointMetadata;
            var tensors = new Dictionary<string, Tensor>(ck.State);
            // The spec goes under Network's own key, so every verb loads a checkpoint like any model file.
            var meta = new Dictionary<string, string>
            {
                ["format"] = "pt",
                [Network.SpecMetadataKey] = original.Spec.Text,
                ["model"] = original.Spec.Text,
                ["procedure"] = ck.Procedure,
                ["step"] = ck.Step.ToString(CultureInfo.InvariantCulture),
                ["elapsed_s"] = ck.ElapsedSeconds.ToString("R", CultureInfo.InvariantCulture),
            };
            if (ck.Strength is { } t) meta["strength"] = t.ToString("R", CultureInfo.InvariantCulture);
            if (ck.Inserted.Count > 0) meta["erased_layers"] = string.Join(",", ck.Inserted.Select(a => a.Layer)); // folded into the weights
            foreach (var (k, v) in extra) meta.TryAdd(k, v);
            SafeTensors.Write(CheckpointPath(ck.Step), tensors, meta);
        }
    }
}
