using System.CommandLine;
using System.Globalization;
using LlcLab.Cli.Options;
using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Runtime;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab unlearn --method neggrad --model model.safetensors --forget class:3 --out run/</c>: runs an unlearning
/// procedure on a trained model (on the train split it was trained on), writes a checkpoint per evaluation step
/// (<c>run/checkpoints/step-NNNNNN.safetensors</c>, loadable by every verb) and a tidy metrics table
/// (<c>run/metrics.csv</c>, <c>.json</c>). Rerunning the same command resumes an interrupted run; a larger
/// <c>--steps</c> extends a finished one; anything else that differs (model file, data, seeds, forget rows,
/// hyperparameters, code version) is refused. Ctrl-C stops after the current checkpoint and prints how to resume.
/// </summary>
public sealed class UnlearnVerb : IVerb
{
    public int Order => 40;

    public Command Build()
    {
        var method = new Option<string>("--method") { Description = string.Join(" | ", ProcedureRegistry.Names) + ".", Required = true };
        var model = new ModelOptions();
        var data = new DataOptions();
        var opt = new OptimizerOptionGroup();
        var sgld = new SgldOptionGroup();
        var forget = new Option<string>("--forget") { Description = "class:K | concept:NAME[=V] | indices.npy (int64 rows of the train split, or a bool mask).", Required = true };
        var concept = new Option<string?>("--concept") { Description = "Concept probed at each hidden layer (default: the --forget concept, if any)." };
        var output = new Option<string>("--out") { Description = "Run folder (created; an existing one holding the same run is resumed).", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps (leace: strength increments, default 10).", DefaultValueFactory = _ => 200 };
        var every = new Option<int>("--checkpoint-every") { Description = "Evaluate and save every k steps.", DefaultValueFactory = _ => 20 };
        var seed = new Option<long>("--seed") { Description = "Seed of the procedure (shuffling, relabelling, retrain init).", DefaultValueFactory = _ => 0 };
        var alpha = new Option<double?>("--alpha") { Description = "graddiff: weight α of the retain loss (default 0.95); scrub: α of the retain KL (default 0.001)." };
        var maskFraction = new Option<double>("--mask-fraction") { Description = "salun: fraction of weights in the saliency mask, in (0, 1].", DefaultValueFactory = _ => 0.5 };
        var layer = new Option<string>("--layer") { Description = "leace: hidden layer to erase at (h1, h2, …); --steps strength increments from 0 to 1.", DefaultValueFactory = _ => "h1" };
        var relearn = new Option<bool>("--relearn") { Description = "Also measure relearning time at each checkpoint." };
        var llc = new Option<bool>("--llc") { Description = "Also estimate the LLC (train split, forget set, retain set) at each checkpoint, with the --sgld-* settings." };
        var reference = new Option<string?>("--retrain-run") { Description = "Folder of a finished retrain run: adds <metric>_gap_to_retrain rows." };
        var experiment = new Option<string>("--experiment") { Description = "Experiment name in the table.", DefaultValueFactory = _ => "unlearning" };

        var cmd = new Command("unlearn", "Run an unlearning procedure; write checkpoints and a tidy metrics table (resumable).") { method };
        model.AddTo(cmd);
        data.AddTo(cmd);
        foreach (var o in new Option[] { forget, concept, output, steps, every, seed }) cmd.Options.Add(o);
        opt.AddTo(cmd);
        foreach (var o in new Option[] { alpha, maskFraction, layer, relearn, llc }) cmd.Options.Add(o);
        sgld.AddTo(cmd);
        foreach (var o in new Option[] { reference, experiment }) cmd.Options.Add(o);
        return cmd.WithAction(r =>
        {
            // 1. Every flag, path and input is checked before the run folder is touched.
            var outDir = OutputPath.Folder("--out", r.GetValue(output)!);
            var m = Check.OneOf("--method", r.GetValue(method)!, [.. ProcedureRegistry.Names]);
            Check.AtLeast("--steps", r.GetValue(steps), m == "leace" ? 1 : 0);
            Check.AtLeast("--checkpoint-every", r.GetValue(every), 1);
            Check.InRange("--mask-fraction", r.GetValue(maskFraction), 0, 1, loOpen: true);
            if (r.GetValue(alpha) is { } a && !double.IsFinite(a)) throw new ArgumentException($"--alpha must be a finite number; got {a}.");
            var optimizer = opt.Read(r);
            var sgldOptions = r.GetValue(llc) ? sgld.Read(r) : null;
            var refDir = r.GetValue(reference);
            if (refDir is not null && !File.Exists(Path.Combine(refDir, "metrics.csv")))
                throw new ArgumentException($"--retrain-run {refDir} holds no metrics.csv; run `llclab unlearn --method retrain --out {refDir}` first.");

            var (path, meta, spec) = model.Inspect(r);
            var choice = data.Read(r, meta);
            var loaded = DataOptions.Load(choice);
            var device = Devices.Default;
            using var mf = ModelOptions.Load(path, meta, spec, device);
            DataChecks.ModelFits(mf.Net, loaded.Full, "--model", choice);
            if (!loaded.Full.IsClassification) throw new ArgumentException($"unlearn needs class labels; --data {choice.Data} has float targets.");
            var forgetText = r.GetValue(forget)!;
            var unlearning = ForgetSplit(loaded.Train, loaded.Test, forgetText, r.GetValue(concept));
            var options = optimizer.ApplyTo(new UnlearnOptions { Steps = r.GetValue(steps), CheckpointEvery = r.GetValue(every) });
            if (m == "leace" && unlearning.Forget.Concept is null)
                throw new ArgumentException("--method leace erases a concept: give --concept NAME (e.g. parity) or --forget concept:NAME.");
            var proc = ProcedureRegistry.Create(m, options, new ProcedureSettings(
                Alpha: r.GetValue(alpha), MaskFraction: r.GetValue(maskFraction), Layer: r.GetValue(layer),
                ErasureSteps: r.GetResult(steps) is null ? null : r.GetValue(steps)));
            if (m == "leace" && !mf.Net.LayerNames.Contains(r.GetValue(layer)!))
                throw new ArgumentException($"--layer {r.GetValue(layer)} is not a hidden layer of '{mf.Net.Spec.Text}'; use one of: {string.Join(", ", mf.Net.LayerNames.Where(l => l.StartsWith('h')))}.");
            var metrics = UnlearningRun.DefaultMetrics(unlearning).ToList();
            if (r.GetValue(relearn)) metrics.Add(new RelearnTimeMetric());
            if (sgldOptions is not null)
                metrics.Add(new LlcMetric(sgldOptions, [LlcSubset.Train, LlcSubset.Forget, LlcSubset.Retain], onWarning: Stderr.Warn));
            var provenance = new Dictionary<string, string>
            {
                ["model_sha256"] = mf.Sha256, ["data"] = choice.IsFile ? Path.GetFullPath(choice.Data) : choice.Data,
                ["data_seed"] = choice.DataSeed.ToString(CultureInfo.InvariantCulture), ["split_seed"] = choice.SplitSeed.ToString(CultureInfo.InvariantCulture),
                ["test_fraction"] = choice.TestFraction.ToString("R", CultureInfo.InvariantCulture), ["forget"] = forgetText.Trim(),
                ["concept"] = r.GetValue(concept) ?? "",
            };
            if (choice.Labels is not null) provenance["labels"] = Path.GetFullPath(choice.Labels);
            if (sgldOptions is not null) foreach (var (k, v) in SgldProvenance(sgldOptions)) provenance["sgld." + k] = v;
            Console.WriteLine($"{mf.Net} on {device.type}; {proc.Name}: |D_f| = {unlearning.Forget.Count}, |D_r| = {unlearning.Retain.Count}, |test| = {unlearning.Test!.Count}");

            // 2. The run. A fresh folder that fails before its first checkpoint is removed; a later failure or Ctrl-C
            //    leaves a resumable folder whose manifest says so.
            using var interrupt = new Interrupt();
            using var cleanup = new Cleanup();
            cleanup.Track(outDir);
            int lastStep = -1;
            try
            {
                var result = UnlearningRun.Execute(mf.Net, unlearning, proc, metrics, r.GetValue(seed), new UnlearningRunOptions
                {
                    OutDir = outDir, Experiment = r.GetValue(experiment)!, Provenance = provenance,
                    CheckpointMetadata = choice.Metadata().ToDictionary(kv => kv.Key, kv => kv.Value),
                    RetrainGap = refDir is not null ? RetrainGap.FromRunFolder(refDir) : null,
                    Progress = (ck, rows) =>
                    {
                        lastStep = ck.Step;
                        cleanup.Commit();
                        Console.WriteLine($"step {ck.Step,6}  " + string.Join("  ", rows
                            .Where(x => x.Metric is "accuracy" or "mia_auc" or "llc" && x.Layer is null)
                            .Select(x => $"{x.Metric}[{x.DataSubset}] {x.Value.ToString("G4", CultureInfo.InvariantCulture)}")));
                    },
                }, interrupt.Token);
                cleanup.Commit();
                Console.WriteLine($"{result.Evaluated} checkpoints evaluated, {result.Resumed} already done; table: {Path.Combine(outDir, "metrics.csv")}");
                return 0;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"interrupted{(lastStep >= 0 ? $" after step {lastStep}" : "")}; the checkpoints so far are saved in {outDir}.");
                Console.Error.WriteLine($"To resume, run the same command again:\n  {Interrupt.CommandLine(r)}");
                return 130;
            }
        });
    }

    static IEnumerable<(string, string)> SgldProvenance(LlcLab.Sampling.SgldOptions o)
    {
        static string F(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "default";
        yield return ("lr", F(o.Lr));
        yield return ("localization", F(o.Localization));
        yield return ("nbeta", F(o.NBeta));
        yield return ("chains", o.Chains.ToString(CultureInfo.InvariantCulture));
        yield return ("draws", o.Draws.ToString(CultureInfo.InvariantCulture));
        yield return ("burnin", o.BurnIn.ToString(CultureInfo.InvariantCulture));
        yield return ("steps_between_draws", o.StepsBetweenDraws.ToString(CultureInfo.InvariantCulture));
        yield return ("batch_size", o.BatchSize?.ToString(CultureInfo.InvariantCulture) ?? "full");
        yield return ("seed", o.Seed.ToString(CultureInfo.InvariantCulture));
        yield return ("sampler", o.Sampler.ToString().ToLowerInvariant());
    }

    /// <summary>Parses <c>class:K</c>, <c>concept:NAME[=V]</c> or an indices/mask .npy into D_f / D_r / test.</summary>
    internal static UnlearningData ForgetSplit(Dataset train, Dataset test, string forget, string? concept)
    {
        var f = forget.Trim();
        if (concept is not null && !train.Concepts.ContainsKey(concept))
            throw new ArgumentException($"--concept {concept}: the data has no such concept. Concepts: {(train.Concepts.Count == 0 ? "(none)" : string.Join(", ", train.Concepts.Keys))}.");
        try
        {
            if (f.StartsWith("class:", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(f[6..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k))
                    throw new ArgumentException($"write class:K with an integer label, e.g. class:3.");
                long classes = train.Y.max().item<long>() + 1;
                if (k < 0 || k >= classes) throw new ArgumentException($"class {k} does not occur; the labels are 0…{classes - 1}.");
                return UnlearningData.ByClass(train, k, test, concept);
            }
            if (f.StartsWith("concept:", StringComparison.OrdinalIgnoreCase))
            {
                var spec = f[8..];
                long value = 1;
                if (spec.Split('=') is [var name, var v])
                {
                    if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
                        throw new ArgumentException("the concept value must be an integer, e.g. concept:parity=1.");
                    spec = name;
                }
                return UnlearningData.ByConcept(train, spec, value, test, concept);
            }
            if (f.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                if (!File.Exists(f)) throw new ArgumentException($"no such file ('{Path.GetFullPath(f)}').");
                using var t = Npy.Read(f);
                if (t.dtype == ScalarType.Bool) return UnlearningData.FromDataset(train, t.flatten(), test, concept);
                if (t.dtype is not (ScalarType.Int64 or ScalarType.Int32))
                    throw new ArgumentException($"the file holds {t.dtype}; it must hold int64/int32 row indices of the train split or a bool mask.");
                return UnlearningData.ByIndices(train, t.flatten().to(ScalarType.Int64).data<long>().ToArray(), test, concept);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new ArgumentException($"--forget {f}: {e.Message}", e);
        }
        throw new ArgumentException($"Unknown --forget '{f}'. Use class:K, concept:NAME[=V] or an indices .npy file.");
    }
}
