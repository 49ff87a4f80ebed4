using System.CommandLine;
using System.Globalization;
using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab unlearn --method neggrad --model model.safetensors --data digits --forget class:3 --out run/</c>:
/// runs an unlearning procedure on a trained model, writes a checkpoint per evaluation step
/// (<c>run/checkpoints/step-NNNNNN.safetensors</c>) and a tidy metrics table (<c>run/metrics.csv</c>, <c>.json</c>).
/// Rerunning the same command resumes an interrupted run.
/// </summary>
public sealed class UnlearnVerb : IVerb
{
    public int Order => 40;

    static readonly string[] Methods = ["retrain", "finetune", "neggrad", "graddiff", "relabel", "scrub", "salun", "leace"];

    public Command Build()
    {
        var method = new Option<string>("--method") { Description = string.Join("|", Methods) + ".", Required = true };
        var model = new Option<string>("--model") { Description = "Trained model (.safetensors, e.g. from llclab train).", Required = true };
        var arch = new Option<string?>("--arch") { Description = "Model spec, needed only when the file has no llclab.spec metadata." };
        var data = new Option<string>("--data") { Description = "digits | X.npy (with --labels Y.npy) | file.csv[.gz] (last column = label).", DefaultValueFactory = _ => "digits" };
        var labels = new Option<string?>("--labels") { Description = "Labels .npy when --data is an X .npy file." };
        var forget = new Option<string>("--forget") { Description = "class:K | concept:NAME[=V] | indices.npy (int64 rows of the training split, or a bool mask).", Required = true };
        var concept = new Option<string?>("--concept") { Description = "Concept probed at each hidden layer (default: the --forget concept, if any)." };
        var output = new Option<string>("--out") { Description = "Run folder (created; an existing one is resumed).", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => 200 };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 0.01 };
        var batch = new Option<int>("--batch-size") { Description = "Minibatch size.", DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd or adam.", DefaultValueFactory = _ => "sgd" };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9 };
        var every = new Option<int>("--checkpoint-every") { Description = "Evaluate and save every k steps.", DefaultValueFactory = _ => 20 };
        var seed = new Option<long>("--seed") { Description = "Seed of the procedure (shuffling, relabelling, retrain init).", DefaultValueFactory = _ => 0 };
        var trainSeed = new Option<long>("--train-seed") { Description = "The --seed the model was trained with (llclab train), so the train/test split matches.", DefaultValueFactory = _ => 0 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Held-out fraction used when training (llclab train default 0.2).", DefaultValueFactory = _ => 0.2 };
        var alpha = new Option<double?>("--alpha") { Description = "graddiff: weight α of the retain loss (default 0.95); scrub: α of the retain KL (default 0.001)." };
        var maskFraction = new Option<double>("--mask-fraction") { Description = "salun: fraction of weights in the saliency mask.", DefaultValueFactory = _ => 0.5 };
        var layer = new Option<string>("--layer") { Description = "leace: hidden layer to erase at (h1, h2, …); --steps strength increments from 0 to 1.", DefaultValueFactory = _ => "h1" };
        var relearn = new Option<bool>("--relearn") { Description = "Also measure relearning time at each checkpoint." };
        var llc = new Option<bool>("--llc") { Description = "Also estimate the LLC (training set, forget set, retain set) at each checkpoint." };
        var llcDraws = new Option<int>("--llc-draws") { Description = "SGLD draws per chain for --llc.", DefaultValueFactory = _ => 200 };
        var llcLr = new Option<double>("--llc-lr") { Description = "SGLD step size for --llc.", DefaultValueFactory = _ => 1e-4 };
        var reference = new Option<string?>("--retrain-run") { Description = "Folder of a finished retrain run: adds <metric>_gap_to_retrain rows." };
        var experiment = new Option<string>("--experiment") { Description = "Experiment name in the table.", DefaultValueFactory = _ => "unlearning" };

        var cmd = new Command("unlearn", "Run an unlearning procedure; write checkpoints and a tidy metrics table (resumable).")
        {
            method, model, arch, data, labels, forget, concept, output, steps, lr, batch, optimizer, momentum, every, seed, trainSeed,
            testFraction, alpha, maskFraction, layer, relearn, llc, llcDraws, llcLr, reference, experiment,
        };
        return cmd.WithAction(r =>
        {
            var device = Devices.Default;
            using var net = LoadModel(r.GetValue(model)!, r.GetValue(arch), device);
            var ds = LoadData(r.GetValue(data)!, r.GetValue(labels));
            var (train, test) = ds.Split(r.GetValue(testFraction), Seeding.Derive(r.GetValue(trainSeed), 1));
            var unlearning = ForgetSplit(train, test, r.GetValue(forget)!, r.GetValue(concept));
            var options = new UnlearnOptions
            {
                Steps = r.GetValue(steps), Lr = r.GetValue(lr), BatchSize = r.GetValue(batch), Momentum = r.GetValue(momentum),
                CheckpointEvery = r.GetValue(every),
                Optimizer = r.GetValue(optimizer)!.ToLowerInvariant() switch
                {
                    "sgd" => UnlearnOptimizer.Sgd,
                    "adam" => UnlearnOptimizer.Adam,
                    var o => throw new ArgumentException($"Unknown --optimizer '{o}'. Use sgd or adam."),
                },
            };
            IUnlearningProcedure proc = r.GetValue(method)!.ToLowerInvariant() switch
            {
                "retrain" => new Retrain(options),
                "finetune" => new Finetune(options),
                "neggrad" => new NegGrad(options),
                "graddiff" => new GradDiff(options, r.GetValue(alpha) ?? 0.95),
                "relabel" => new RandomRelabel(options),
                "scrub" => new Scrub(options, Alpha: r.GetValue(alpha) ?? 0.001),
                "salun" => new SalUn(options, r.GetValue(maskFraction)),
                "leace" => unlearning.Forget.Concept is null
                    ? throw new ArgumentException("--method leace erases a concept: give --concept NAME (e.g. parity) or --forget concept:NAME.")
                    : new ConceptErasure(r.GetValue(layer)!, Steps: r.GetResult(steps) is null ? 10 : r.GetValue(steps)),
                var m => throw new ArgumentException($"Unknown --method '{m}'. Use one of: {string.Join(", ", Methods)}."),
            };
            var metrics = UnlearningRun.DefaultMetrics(unlearning).ToList();
            if (r.GetValue(relearn)) metrics.Add(new RelearnTimeMetric());
            if (r.GetValue(llc))
                metrics.Add(new LlcMetric(new SgldOptions { Draws = r.GetValue(llcDraws), Lr = r.GetValue(llcLr), Seed = r.GetValue(seed) },
                    [LlcSubset.Train, LlcSubset.Forget, LlcSubset.Retain]));
            var outDir = r.GetValue(output)!;
            Console.WriteLine($"{net} on {device.type}; {proc.Name}: |D_f| = {unlearning.Forget.Count}, |D_r| = {unlearning.Retain.Count}, |test| = {unlearning.Test!.Count}");
            var result = UnlearningRun.Execute(net, unlearning, proc, metrics, r.GetValue(seed), new UnlearningRunOptions
            {
                OutDir = outDir, Experiment = r.GetValue(experiment)!,
                RetrainGap = r.GetValue(reference) is { } refDir ? RetrainGap.FromRunFolder(refDir) : null,
                Progress = (ck, rows) => Console.WriteLine($"step {ck.Step,6}  " + string.Join("  ", rows
                    .Where(x => x.Metric is "accuracy" or "mia_auc" or "llc" && x.Layer is null)
                    .Select(x => $"{x.Metric}[{x.DataSubset}] {x.Value.ToString("G4", CultureInfo.InvariantCulture)}"))),
            });
            Console.WriteLine($"{result.Evaluated} checkpoints evaluated, {result.Resumed} already done; table: {Path.GetFullPath(Path.Combine(outDir, "metrics.csv"))}");
            return 0;
        });
    }

    static Network LoadModel(string path, string? spec, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No model file '{Path.GetFullPath(path)}'; train one with `llclab train --out {path}`.", path);
        if (spec is not null) return Network.Load(spec, path, device);
        return Network.Load(path);
    }

    static Dataset LoadData(string data, string? labels)
    {
        var d = data.Trim();
        if (d.Equals("digits", StringComparison.OrdinalIgnoreCase)) return Digits.Load();
        if (d.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            return Dataset.FromNpy(d, labels ?? throw new ArgumentException($"--data {d} is an X .npy file; give the labels with --labels y.npy."));
        if (d.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || d.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase)) return Dataset.FromCsv(d);
        throw new ArgumentException($"Unknown --data '{d}'. Use digits, a .npy file (with --labels) or a .csv file.");
    }

    /// <summary>Parses <c>class:K</c>, <c>concept:NAME[=V]</c> or an indices/mask .npy into D_f / D_r / test.</summary>
    internal static UnlearningData ForgetSplit(Dataset train, Dataset test, string forget, string? concept)
    {
        var f = forget.Trim();
        if (f.StartsWith("class:", StringComparison.OrdinalIgnoreCase))
        {
            if (!long.TryParse(f[6..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k))
                throw new ArgumentException($"--forget '{f}': write class:K with an integer label, e.g. class:3.");
            return UnlearningData.ByClass(train, k, test, concept);
        }
        if (f.StartsWith("concept:", StringComparison.OrdinalIgnoreCase))
        {
            var spec = f[8..];
            long value = 1;
            if (spec.Split('=') is [var name, var v])
            {
                if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
                    throw new ArgumentException($"--forget '{f}': the concept value must be an integer, e.g. concept:parity=1.");
                spec = name;
            }
            return UnlearningData.ByConcept(train, spec, value, test, concept);
        }
        if (f.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            using var t = Npy.Read(f);
            if (t.dtype == ScalarType.Bool) return UnlearningData.FromDataset(train, t.flatten(), test, concept);
            if (t.dtype is not (ScalarType.Int64 or ScalarType.Int32))
                throw new ArgumentException($"--forget {f} holds {t.dtype}; it must hold int64/int32 row indices of the training split or a bool mask.");
            return UnlearningData.ByIndices(train, t.flatten().to(ScalarType.Int64).data<long>().ToArray(), test, concept);
        }
        throw new ArgumentException($"Unknown --forget '{f}'. Use class:K, concept:NAME[=V] or an indices .npy file.");
    }
}
