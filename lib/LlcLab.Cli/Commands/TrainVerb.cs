using System.CommandLine;
using System.Globalization;
using LlcLab.Data;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab train --arch mlp:64-128-10:relu --data digits --out model.safetensors</c>: trains a model and saves it
/// as safetensors (PyTorch names, spec in the metadata).
/// </summary>
public sealed class TrainVerb : IVerb
{
    public int Order => 20;

    public Command Build()
    {
        var arch = new Option<string>("--arch") { Description = "Model spec, e.g. mlp:64-128-10:relu, dln:5-3-5.", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "digits | synthetic | modadd:P | planted | X.npy (with --labels Y.npy) | file.csv[.gz] (last column = label).",
            DefaultValueFactory = _ => "digits",
        };
        var labels = new Option<string?>("--labels") { Description = "Labels .npy when --data is an X .npy file." };
        var output = new Option<string>("--out") { Description = "Output .safetensors file.", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => 100 };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size") { Description = "Minibatch size.", DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd.", DefaultValueFactory = _ => "adam" };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.0 };
        var seed = new Option<long>("--seed") { Description = "Seed for initialisation, split and shuffling.", DefaultValueFactory = _ => 0 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Held-out fraction (stratified).", DefaultValueFactory = _ => 0.2 };
        var target = new Option<double?>("--target-accuracy") { Description = "Stop once training accuracy reaches this." };
        var ckEvery = new Option<long?>("--checkpoint-every") { Description = "Save a checkpoint every k steps." };
        var ckDir = new Option<string?>("--checkpoint-dir") { Description = "Folder for checkpoints (default: <out>.checkpoints)." };
        var results = new Option<string?>("--results") { Description = "Append accuracy/loss rows to this results .csv/.json." };
        var quiet = new Option<bool>("--quiet") { Description = "No per-epoch output." };

        var cmd = new Command("train", "Train a model on a data set and save it as safetensors.")
        {
            arch, data, labels, output, epochs, lr, batch, optimizer, momentum, seed, testFraction, target, ckEvery, ckDir, results, quiet,
        };
        return cmd.WithAction(r =>
        {
            var spec = r.GetValue(arch)!;
            var s = r.GetValue(seed);
            var ds = LoadData(r.GetValue(data)!, r.GetValue(labels), s);
            var (train, test) = ds.Split(r.GetValue(testFraction), Seeding.Derive(s, 1));
            var device = Devices.Default;
            using var net = Network.Create(spec, s, device);
            Console.WriteLine($"{net} on {device.type}; data {ds}");
            var opt = r.GetValue(optimizer)!.ToLowerInvariant() switch
            {
                "adam" => OptimizerKind.Adam,
                "sgd" => OptimizerKind.Sgd,
                var o => throw new ArgumentException($"Unknown optimizer '{o}'. Use adam or sgd."),
            };
            var outPath = r.GetValue(output)!;
            var every = r.GetValue(ckEvery);
            bool q = r.GetValue(quiet);
            var options = new TrainOptions
            {
                Optimizer = opt, LearningRate = r.GetValue(lr), Momentum = r.GetValue(momentum), BatchSize = r.GetValue(batch),
                MaxEpochs = r.GetValue(epochs), Seed = Seeding.Derive(s, 2), TargetAccuracy = r.GetValue(target), Test = test,
                EvaluateEachEpoch = !q && ds.IsClassification, CheckpointEvery = every,
                CheckpointDirectory = every is null ? null : r.GetValue(ckDir) ?? outPath + ".checkpoints",
                KeepCheckpointsInMemory = false,
                Progress = q ? null : p => Console.WriteLine(
                    $"epoch {p.Epoch,4}  step {p.Step,7}  loss {p.EpochLoss,10:G5}" +
                    (p.TrainAccuracy is { } a ? $"  train {a:P1}" : "") + (p.TestAccuracy is { } t ? $"  test {t:P1}" : "")),
            };
            var result = Trainer.Train(net, train, options);
            net.Save(outPath);
            Console.WriteLine(result);
            Console.WriteLine($"saved {Path.GetFullPath(outPath)}" + (every is not null ? $" and {result.Checkpoints.Count} checkpoints in {options.CheckpointDirectory}" : ""));
            if (r.GetValue(results) is { } rp)
            {
                var rows = new List<ResultRow>();
                void Add(string metric, double? v, string subset)
                {
                    if (v is { } x) rows.Add(new ResultRow
                    {
                        Experiment = "train", Model = spec, Procedure = "train", Step = result.Steps, Seed = s, Metric = metric, Value = x,
                        Lr = options.LearningRate, DataSubset = subset, ElapsedS = result.ElapsedSeconds,
                    });
                }
                Add("loss", result.FinalLoss, "train");
                Add("accuracy", result.TrainAccuracy, "train");
                Add("accuracy", result.TestAccuracy, "test");
                ResultsTable.Append(rp, rows);
            }
            return 0;
        });
    }

    static Dataset LoadData(string data, string? labels, long seed)
    {
        var d = data.Trim();
        if (d.Equals("digits", StringComparison.OrdinalIgnoreCase)) return Digits.Load();
        if (d.Equals("synthetic", StringComparison.OrdinalIgnoreCase)) return SyntheticConcept.Generate(seed: seed).Data;
        if (d.Equals("planted", StringComparison.OrdinalIgnoreCase)) return Sequences.PlantedToken(seed: seed);
        if (d.StartsWith("modadd", StringComparison.OrdinalIgnoreCase))
        {
            var parts = d.Split(':');
            int p = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : parts.Length > 1 ? throw new ArgumentException($"'{d}': write modadd:P with an integer modulus P, e.g. modadd:23.") : 23;
            return Sequences.ModularAddition(p);
        }
        if (d.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (labels is null) throw new ArgumentException($"--data {d} is an X .npy file; give the labels with --labels y.npy.");
            return Dataset.FromNpy(d, labels);
        }
        if (d.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || d.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase))
            return Dataset.FromCsv(d);
        throw new ArgumentException($"Unknown --data '{d}'. Use digits, synthetic, planted, modadd:P, a .npy file (with --labels) or a .csv file.");
    }
}
