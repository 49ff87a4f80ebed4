using System.IO.Compression;
using System.Globalization;
using LlcLab.Models;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Tests.Unlearning;

/// <summary>
/// Shared test problem: digits (1,797 × 64), a fixed 70/30 train/test split, forget set = the
/// training images of class 3, concept = parity; and a small MLP (mlp:64-64-10:relu) trained once on
/// the full training split. Each test gets its own copy of the model.
/// </summary>
internal static class UnlearningFixture
{
    public const string Spec = "mlp:64-64-10:relu";
    public const long ForgetClass = 3;

    static readonly Lazy<(UnlearningData Data, Dictionary<string, Tensor> State)> cache = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static UnlearningData Data => cache.Value.Data;

    /// <summary>A fresh copy of the trained original model.</summary>
    public static Network Original()
    {
        var net = Network.Create(Spec, seed: 0, device: CPU);
        net.LoadStateDict(cache.Value.State);
        return net;
    }

    static (UnlearningData, Dictionary<string, Tensor>) Build()
    {
        var (x, y) = LoadDigits();
        long n = x.shape[0];
        using var g = LlcLab.Runtime.Seeding.Generator(12345);
        var perm = randperm(n, generator: g).data<long>().ToArray();
        var testRows = perm.Take((int)(0.3 * n)).OrderBy(i => i).ToArray();
        var trainRows = perm.Skip((int)(0.3 * n)).OrderBy(i => i).ToArray();
        var ys = y.data<long>().ToArray();
        var forgetRows = trainRows.Where(i => ys[i] == ForgetClass).ToArray();
        var retainRows = trainRows.Where(i => ys[i] != ForgetClass).ToArray();
        var parity = y % 2;
        LabelledSubset Sub(long[] rows)
        {
            var idx = tensor(rows);
            return new LabelledSubset(x.index_select(0, idx), y.index_select(0, idx), rows, parity.index_select(0, idx));
        }
        var data = new UnlearningData(Sub(forgetRows), Sub(retainRows), Sub(testRows));
        var all = Sub(trainRows);
        using var fresh = Network.Create(Spec, seed: 0, device: CPU);
        // Train on all training rows (forget ∪ retain) with the fine-tuning procedure started from a fresh init.
        var train = new Finetune(new UnlearnOptions { Steps = 400, Lr = 0.05, BatchSize = 64, CheckpointEvery = 400 });
        var last = train.Run(fresh, new UnlearningData(data.Forget, all with { Indices = null }), seed: 1).Last();
        return (data, last.State.ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    /// <summary>Temporary reader of data/digits.csv.gz (until LlcLab.Data lands on main).</summary>
    static (Tensor X, Tensor Y) LoadDigits()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "data", "digits.csv.gz"))) dir = dir.Parent;
        if (dir is null) throw new FileNotFoundException("data/digits.csv.gz not found above the test directory.");
        using var gz = new GZipStream(File.OpenRead(Path.Combine(dir.FullName, "data", "digits.csv.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var xs = new List<float>();
        var ys = new List<long>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            for (int j = 0; j < 64; j++) xs.Add(float.Parse(f[j], CultureInfo.InvariantCulture) / 16f);
            ys.Add(long.Parse(f[64], CultureInfo.InvariantCulture));
        }
        return (tensor(xs.ToArray()).reshape(ys.Count, 64), tensor(ys.ToArray()));
    }

    public static double Accuracy(Network net, LabelledSubset s)
    {
        using var logits = net.Forward(s.X);
        return logits.argmax(1).eq(s.Y).to(float64).mean().item<double>();
    }
}
