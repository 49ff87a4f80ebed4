using System.CommandLine;
using System.Globalization;
using LlcLab.Cli.Options;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab train --arch mlp:64-128-10:relu --data digits --out model.safetensors</c>: trains a model on the train split
/// and saves it as safetensors (PyTorch names; the spec and the data choice in the metadata, so later verbs need neither
/// <c>--arch</c> nor the data flags). Warns on stderr when training ends at chance accuracy or with a loss no lower than
/// at the start.
/// </summary>
public sealed class TrainVerb : IVerb
{
    public int Order => 20;

    public Command Build()
    {
        var arch = new Option<string>("--arch") { Description = "Model spec, e.g. mlp:64-128-10:relu, dln:5-3-5.", Required = true };
        var data = new DataOptions(readsModel: false);
        var opt = new OptimizerOptionGroup();
        var output = new Option<string>("--out") { Description = "Output .safetensors file.", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => 100 };
        var seed = new Option<long>("--seed") { Description = "Seed of the initialisation and the minibatch order.", DefaultValueFactory = _ => 0 };
        var target = new Option<double?>("--target-accuracy") { Description = "Stop once training accuracy reaches this, in (0, 1]." };
        var ckEvery = new Option<long?>("--checkpoint-every") { Description = "Save a checkpoint every k steps." };
        var ckDir = new Option<string?>("--checkpoint-dir") { Description = "Folder for checkpoints (default: <out>.checkpoints)." };
        var results = new Option<string?>("--results") { Description = "Append accuracy/loss rows to this results .csv/.json." };
        var quiet = new Option<bool>("--quiet") { Description = "No per-epoch output." };

        var cmd = new Command("train", "Train a model on the train split of a data set and save it as safetensors.") { arch };
        data.AddTo(cmd);
        opt.AddTo(cmd);
        foreach (var o in new Option[] { output, epochs, seed, target, ckEvery, ckDir, results, quiet }) cmd.Options.Add(o);
        return cmd.WithAction(r =>
        {
            // Everything is checked before any work: flags, output paths, data, and the model against the data.
            var specText = r.GetValue(arch)!;
            ModelOptions.ParseSpec(specText);
            var outPath = OutputPath.File("--out", r.GetValue(output)!);
            var every = r.GetValue(ckEvery);
            Check.AtLeast("--checkpoint-every", every, 1);
            if (r.GetValue(ckDir) is not null && every is null) throw new ArgumentException("--checkpoint-dir needs --checkpoint-every K.");
            var ckFolder = every is null ? null : OutputPath.Folder("--checkpoint-dir", r.GetValue(ckDir) ?? outPath + ".checkpoints");
            var resultsPath = r.GetValue(results) is { } rp0 ? OutputPath.File("--results", rp0) : null;
            Check.AtLeast("--epochs", r.GetValue(epochs), 1);
            if (r.GetValue(target) is { } ta) Check.InRange("--target-accuracy", ta, 0, 1, loOpen: true);
            var optimizer = opt.Read(r);
            var choice = data.Read(r);
            var ds = DataOptions.Load(choice);
            long s = r.GetValue(seed);
            var device = Devices.Default;
            using var net = Network.Create(specText, s, device);
            DataChecks.ModelFits(net, ds.Full, "--arch", choice);
            bool q = r.GetValue(quiet);
            Console.WriteLine($"{net} on {device.type}; data {ds.Full}; train split {ds.Train.Count} rows, test {ds.Test.Count}");

            using var cleanup = new Cleanup();
            if (ckFolder is not null) cleanup.Track(ckFolder);
            double initialLoss = Evaluate.Loss(net, ds.Train);
            var options = optimizer.ApplyTo(new TrainOptions
            {
                MaxEpochs = r.GetValue(epochs), Seed = Seeding.Derive(s, 2), TargetAccuracy = r.GetValue(target), Test = ds.Test,
                EvaluateEachEpoch = !q && ds.Full.IsClassification, CheckpointEvery = every, CheckpointDirectory = ckFolder,
                KeepCheckpointsInMemory = false,
                Progress = q ? null : p => Console.WriteLine(
                    $"epoch {p.Epoch,4}  step {p.Step,7}  loss {p.EpochLoss,10:G5}" +
                    (p.TrainAccuracy is { } a ? $"  train {a:P1}" : "") + (p.TestAccuracy is { } t ? $"  test {t:P1}" : "")),
            });
            var result = Trainer.Train(net, ds.Train, options);
            var meta = new Dictionary<string, string> { ["format"] = "pt", [Network.SpecMetadataKey] = net.Spec.Text, ["llclab.seed"] = s.ToString(CultureInfo.InvariantCulture) };
            foreach (var (k, v) in choice.Metadata()) meta[k] = v;
            SafeTensors.Write(outPath, net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()), meta);
            cleanup.Commit();
            Console.WriteLine(result);
            Console.WriteLine($"saved {outPath}" + (every is not null ? $" and {result.Checkpoints.Count} checkpoints in {ckFolder}" : ""));
            WarnIfNotTrained(result, initialLoss, ds.Full.IsClassification ? ds.Full.NumClasses : 0, optimizer.Lr);
            if (resultsPath is not null)
            {
                var rows = new List<ResultRow>();
                void Add(string metric, double? v, string subset)
                {
                    if (v is { } x) rows.Add(new ResultRow
                    {
                        Experiment = "train", Model = net.Spec.Text, Procedure = "train", Step = result.Steps, Seed = s, Metric = metric, Value = x,
                        Lr = optimizer.Lr, DataSubset = subset, ElapsedS = result.ElapsedSeconds,
                    });
                }
                Add("loss", result.FinalLoss, "train");
                Add("accuracy", result.TrainAccuracy, "train");
                Add("accuracy", result.TestAccuracy, "test");
                ResultsTable.Append(resultsPath, rows);
            }
            return 0;
        });
    }

    /// <summary>A model at chance accuracy, or whose loss never went down, is not at a minimum: every LLC measured on it
    /// would describe an untrained point, so say so.</summary>
    static void WarnIfNotTrained(TrainResult result, double initialLoss, int classes, double lr)
    {
        string lrHint = $"With --lr {Check.Show(lr)}, try --lr {Check.Show(lr / 10)} (or more --epochs).";
        if (classes >= 2 && result.TrainAccuracy is { } acc && acc < 1.5 / classes)
            Stderr.Warn($"train accuracy {acc:P1} is at chance level (1/{classes} = {1.0 / classes:P1}): the model did not learn. {lrHint}");
        if (!(result.FinalLoss < initialLoss))
            Stderr.Warn($"the training loss did not decrease ({initialLoss:G4} at the start, {result.FinalLoss:G4} at the end): the model is far from a minimum. {lrHint}");
    }
}
