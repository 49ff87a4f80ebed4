using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlcLab.Cli.Options;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab estimate --model model.safetensors --data digits --out result.json</c>: the LLC of a model on the train split
/// of a data set (the split <c>llclab train</c> trained on; <c>--subset all|test</c> for other rows). Writes a small
/// summary JSON (atomically), the per-draw traces to a separate file, and with <c>--results</c> appends the long-format
/// rows (<c>llc</c> and its diagnostics) that <c>unlearn --llc</c> writes too.
/// </summary>
public sealed class EstimateVerb : IVerb
{
    public int Order => 30;

    public Command Build()
    {
        var model = new ModelOptions();
        var data = new DataOptions();
        var sgld = new SgldOptionGroup();
        var subset = new Option<string>("--subset") { Description = "Rows to estimate on: train (the split llclab train trains on), test or all.", DefaultValueFactory = _ => "train" };
        var loss = new Option<string?>("--loss") { Description = "mse (Gaussian NLL ½Σ(y−f)², float targets) or ce (cross-entropy, int labels). Default: from the labels' dtype." };
        var only = new Option<string[]>("--parameters") { Description = "Weight-restricted LLC: only these parameters move (names, module prefixes or globs).", AllowMultipleArgumentsPerToken = true };
        var sequential = new Option<bool>("--sequential") { Description = "Run chains one after another on the module instead of vectorised." };
        var output = new Option<string>("--out") { Description = "Output summary JSON file.", Required = true };
        var traces = new Option<string?>("--traces") { Description = "Per-draw loss and LLC traces (JSON); default <out>.traces.json." };
        var results = new Option<string?>("--results") { Description = "Append the long-format rows (llc, llc_r_hat, llc_ess, …) to this results .csv/.json." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var cmd = new Command("estimate", "Estimate the local learning coefficient (LLC) of a model on a data set with SGLD.");
        model.AddTo(cmd);
        data.AddTo(cmd);
        sgld.AddTo(cmd);
        foreach (var o in new Option[] { subset, loss, only, sequential, output, traces, results, quiet }) cmd.Options.Add(o);
        return cmd.WithAction(r =>
        {
            // Outputs first: a typo in --out must not cost a whole run.
            var outPath = OutputPath.File("--out", r.GetValue(output)!);
            var tracesPath = OutputPath.File("--traces", r.GetValue(traces) ?? Path.ChangeExtension(outPath, null) + ".traces.json");
            var resultsPath = r.GetValue(results) is { } rp ? OutputPath.File("--results", rp) : null;
            var which = Check.OneOf("--subset", r.GetValue(subset)!, "train", "test", "all");
            var parameters = r.GetValue(only);
            var options = sgld.Read(r) with { OnlyParameters = parameters is { Length: > 0 } ? parameters : null };
            LossKind? lossFlag = r.GetValue(loss) is { } ln ? Check.OneOf("--loss", ln, "ce", "mse") == "ce" ? LossKind.CrossEntropy : LossKind.Mse : null;

            var (path, meta, spec) = model.Inspect(r);
            var choice = data.Read(r, meta);
            var loaded = DataOptions.Load(choice);
            var device = Devices.Default;
            using var mf = ModelOptions.Load(path, meta, spec, device);
            var rows = loaded.Subset(which);
            var lossKind = lossFlag ?? (rows.IsClassification ? LossKind.CrossEntropy : LossKind.Mse);
            if (lossKind == LossKind.CrossEntropy && !rows.IsClassification)
                throw new ArgumentException($"--loss ce needs integer class labels, but --data {choice.Data} has float targets; use --loss mse.");
            if (lossKind == LossKind.Mse && rows.IsClassification)
                throw new ArgumentException($"--loss mse needs float targets, but --data {choice.Data} has integer class labels; use --loss ce.");
            DataChecks.ModelFits(mf.Net, loaded.Full, "--model", choice);
            if (rows.Count < 2) throw new ArgumentException($"--subset {which} of --data {choice.Data} has {rows.Count} row(s); the LLC needs at least 2.");
            if (!r.GetValue(quiet)) Stderr.Note($"{mf.Net} on {device.type}; LLC on the {which} rows of {choice}: n = {rows.Count}");

            var observers = r.GetValue(quiet) ? [] : new ISamplerObserver[] { new ProgressObserver(Console.Error) };
            var result = Llc.Estimate(mf.Net, rows.X.to(device), rows.Y.to(device), options, observers, lossKind, vectorized: !r.GetValue(sequential));

            var summary = JsonNode.Parse(result.ToJson(new Dictionary<string, object?>
            {
                ["model"] = mf.Path, ["model_sha256"] = mf.Sha256, ["arch"] = mf.Net.Spec.Text, ["data"] = choice.Data, ["labels"] = choice.Labels,
                ["data_seed"] = choice.DataSeed, ["split_seed"] = choice.SplitSeed, ["test_fraction"] = choice.TestFraction, ["subset"] = which,
                ["device"] = device.ToString(), ["traces"] = tracesPath,
            }))!.AsObject();
            var traceDoc = new JsonObject();
            foreach (var key in new[] { "loss_trace", "llc_trace" })
                if (summary.Remove(key, out var node)) traceDoc[key] = node;
            var indented = new JsonSerializerOptions { WriteIndented = true };
            AtomicFile.WriteAllText(tracesPath, traceDoc.ToJsonString() + "\n");
            AtomicFile.WriteAllText(outPath, summary.ToJsonString(indented) + "\n");
            if (resultsPath is not null)
                ResultsTable.Append(resultsPath, LlcMetric.Values(result, null, which).Select(v => new ResultRow
                {
                    Experiment = "estimate", Model = mf.Net.Spec.Text, Procedure = "none", Seed = options.Seed, Metric = v.Metric, Value = v.Value,
                    Std = v.Std, NChains = v.NChains, NDraws = v.NDraws, Lr = v.Lr, Localization = v.Localization, Nbeta = v.NBeta,
                    DataSubset = v.DataSubset, ElapsedS = result.ElapsedSeconds,
                }));
            Console.WriteLine(result);
            foreach (var w in result.Diagnostics.Warnings) Stderr.Warn(w);
            Console.WriteLine($"wrote {outPath} and {tracesPath}" + (resultsPath is null ? "" : $"; appended rows to {resultsPath}"));
            return 0;
        });
    }
}
