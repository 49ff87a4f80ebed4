using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab bench sgld</c>, two ratios measured in one run:
/// <list type="number">
/// <item>the whole <c>llclab estimate</c> process (8 chains × 2,000 draws, full batch, no burn-in, otherwise the defaults) against
/// a minimal PyTorch SGLD loop on the same deep linear network and data (<c>Bench/sgld_reference.py</c>: devinterp's way, a
/// deep copy per chain, chains one after another), both as child processes on one libtorch thread, CPU time from
/// <c>getrusage</c>; goal ≥ 5×. Rerun the loop by hand with Debian's python3-torch:
/// <c>python3 lib/LlcLab.Cli/Bench/sgld_reference.py X.npy Y.npy N CHAINS DRAWS W0.npy W1.npy …</c>;</item>
/// <item>minibatch SGLD on a Fashion-MNIST-sized MLP (784-256-256-10, batch 512, one chain) against plain minibatch training
/// (forward, backward, SGD) of the same module, process CPU time per step in interleaved rounds; goal ≤ 1.2×. Beside it, the same
/// step with the MALA diagnostic and with the paired minimum check (<see cref="PairedLossObserver"/>), so both costs are measured.</item>
/// </list>
/// </summary>
public sealed class BenchSgld : IBenchmark
{
    public Command Build()
    {
        var spec = new Option<string>("--dln") { Description = "Deep linear network of the PyTorch comparison.", DefaultValueFactory = _ => "dln:16-16-16-16" };
        var rows = new Option<int>("--n") { Description = "Training rows of the PyTorch comparison (llclab estimate's train split).", DefaultValueFactory = _ => 1000 };
        var chains = new Option<int>("--chains") { Description = "Chains.", DefaultValueFactory = _ => 8 };
        var draws = new Option<int>("--draws") { Description = "Draws per chain.", DefaultValueFactory = _ => 2000 };
        var steps = new Option<int>("--steps") { Description = "Timed minibatch steps per round (MLP comparison).", DefaultValueFactory = _ => 40 };
        var roundsOpt = new Option<int>("--rounds") { Description = "Interleaved rounds of the MLP comparison (the fastest of each counts).", DefaultValueFactory = _ => 5 };
        var dir = new Option<string>("--dir") { Description = "Folder for the generated files (deleted afterwards).", DefaultValueFactory = _ => Path.GetTempPath() };
        var cmd = new Command("sgld", "Whole `llclab estimate` vs a minimal PyTorch SGLD loop; minibatch SGLD vs plain training.") { spec, rows, chains, draws, steps, roundsOpt, dir };
        return cmd.WithAction(r =>
        {
            set_num_threads(r.GetValue(GlobalOptions.Threads) ?? 1);
            var work = Path.Combine(Path.GetFullPath(r.GetValue(dir)!), $"llclab-bench-sgld-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            try
            {
                VersusPytorch(r.GetValue(spec)!, r.GetValue(rows), r.GetValue(chains), r.GetValue(draws), work);
                MinibatchOverhead(r.GetValue(steps), Math.Max(1, r.GetValue(roundsOpt)));
                BenchGoals.PrintRecorded();
            }
            finally { Directory.Delete(work, recursive: true); }
            return 0;
        });
    }

    static void VersusPytorch(string spec, int n, int chains, int draws, string work)
    {
        string F(string name) => Path.Combine(work, name);
        var widths = ModelSpec.Parse(spec).Widths;
        // n train rows after estimate's default 20 % held-out split: generate n / 0.8 rows; the loop uses the first n
        // (the same count; other rows of the same distribution).
        int total = (int)Math.Round(n / 0.8);
        using var p = LinearTruth.DeepLinear(widths, rank: (int)Math.Max(1, widths.Min() / 4), n: total, seed: 3, device: CPU);
        p.Model.Save(F("w.safetensors"));
        Npy.Write(F("x.npy"), p.X);
        Npy.Write(F("y.npy"), p.Y);
        var layers = p.Model.ParameterTensors().Select((t, i) => { var f = F($"w{i}.npy"); Npy.Write(f, t.detach().cpu()); return f; }).ToList();
        Console.WriteLine($"bench sgld (1): {spec} at a rank-{p.Rank} point, {chains} chains × {draws} draws, full batch, n = {n} train rows; one libtorch thread each");

        var ours = BenchProcess.Run(BenchProcess.Self(), [.. BenchProcess.SelfArgs(), "estimate", "--model", F("w.safetensors"), "--data", F("x.npy"), "--labels", F("y.npy"),
            "--sgld-chains", $"{chains}", "--sgld-draws", $"{draws}", "--sgld-burnin", "0", "--out", F("llc.json")]);
        Console.WriteLine($"  llclab estimate (whole process) : {ours.Wall,7:F2} s wall {ours.Cpu,7:F2} s CPU   ({ours.FirstLine})");
        var python = BenchProcess.FindPython("torch");
        if (python is null)
        {
            Console.WriteLine("  pytorch loop                    : unavailable (no python3 with torch; Debian: apt-get install python3-torch) — ratio unavailable");
            return;
        }
        var script = F("sgld_reference.py");
        using (var s = typeof(BenchSgld).Assembly.GetManifestResourceStream("sgld_reference.py")!)
        using (var f = File.Create(script)) s.CopyTo(f);
        var py = BenchProcess.Run(python, [script, F("x.npy"), F("y.npy"), $"{n}", $"{chains}", $"{draws}", .. layers]);
        var loop = Regex.Match(py.Output, @"loop ([0-9.]+) s");
        Console.WriteLine($"  pytorch SGLD loop (whole process): {py.Wall,7:F2} s wall {py.Cpu,7:F2} s CPU   ({py.Output.Trim()})");
        Console.WriteLine($"  ratio pytorch / llclab           : {py.Wall / ours.Wall,7:F2}× wall {py.Cpu / ours.Cpu,6:F2}× CPU   (goal ≥ 5×)");
        BenchGoals.Record($"llclab estimate vs PyTorch SGLD loop ({spec}, {chains} × {draws}; CPU)", py.Cpu / ours.Cpu, "×", Goal.Min(5));
        if (loop.Success)
            Console.WriteLine($"  pytorch loop alone / llclab whole: {double.Parse(loop.Groups[1].Value, CultureInfo.InvariantCulture) / ours.Wall,7:F2}× wall");
    }

    static void MinibatchOverhead(int k, int rounds)
    {
        const int N = 10_240, Batch = 512;
        using var net = Network.Create("mlp:784-256-256-10:relu", 1, CPU);
        using var g = Seeding.Generator(11);
        using var x = randn([N, 784], generator: g);
        using var y = randint(0, 10, [N], generator: g);
        using var plainNet = net.Clone();
        var opt = optim.SGD(plainNet.Module.parameters(), 1e-4);
        // The headline step is the sampler alone; its two diagnostics (MALA, the paired minimum check) are timed beside it.
        var o = new SgldOptions { Chains = 1, Draws = k, BurnIn = 0, BatchSize = Batch, ComputeMala = false, PairedMinimumCheck = false, Seed = 3, NBeta = 100, Lr = 1e-6 };
        // Process CPU time of the sampling phase only (from the listeners' OnStart, after L(w*) on the full data, to OnFinish):
        // libtorch runs on this thread, so on a machine shared with other jobs wall time would measure the scheduler as much as
        // the code. Interleaved rounds, the fastest of each contender counts.
        Console.WriteLine($"bench sgld (2): mlp 784-256-256-10, batch {Batch} of {N:N0} rows, {k} steps × {rounds} interleaved rounds, CPU time per step");
        var t = Interleaved(rounds,
            () => CpuSeconds(() => PlainMinibatchSteps(plainNet.Module, opt, x, y, Batch, k, g)) / k,
            () => SamplingCpuSeconds(net, x, y, o) / k,
            () => SamplingCpuSeconds(net, x, y, o with { ComputeMala = true }) / k,
            () => SamplingCpuSeconds(net, x, y, o with { PairedMinimumCheck = true }) / k);
        Console.WriteLine($"  plain minibatch step (fwd+bwd+SGD) : {t[0] * 1e3,8:F2} ms");
        Console.WriteLine($"  SGLD minibatch step                : {t[1] * 1e3,8:F2} ms");
        Console.WriteLine($"  ratio SGLD / plain                 : {t[1] / t[0],8:F3}×   (goal ≤ 1.2×)");
        BenchGoals.Record($"minibatch SGLD ÷ plain step (mlp 784-256-256-10, batch {Batch})", t[1] / t[0], "×", Goal.Max(1.2));
        Console.WriteLine($"  ratio with the MALA diagnostic     : {t[2] / t[0],8:F3}×");
        // One forward at w* per five draws; every step is a draw here, so this is the check's largest cost (with burn-in it is less).
        Console.WriteLine($"  ratio with the paired minimum check: {t[3] / t[0],8:F3}×   (the check adds {t[3] / t[1] - 1,6:P1} when every step is a draw)");
    }

    /// <summary>Plain training as a user writes it: a fresh permutation, index_select of each minibatch, forward, backward, SGD.</summary>
    static double PlainMinibatchSteps(nn.Module<Tensor, Tensor> module, optim.Optimizer opt, Tensor x, Tensor y, int batch, int k, Generator g)
    {
        module.train();
        var sw = Stopwatch.StartNew();
        using var perm = randperm(x.shape[0], generator: g);
        for (int i = 0; i < k; i++)
        {
            using var scope = NewDisposeScope();
            long s = (long)i * batch % (x.shape[0] - batch + 1);
            var idx = perm.narrow(0, s, batch);
            opt.zero_grad();
            var loss = Losses.Compute(LossKind.CrossEntropy, module.call(x.index_select(0, idx)), y.index_select(0, idx));
            loss.backward();
            opt.step();
        }
        return sw.Elapsed.TotalSeconds;
    }

    static double CpuSeconds(Action run)
    {
        using var p = Process.GetCurrentProcess();
        var before = p.TotalProcessorTime;
        run();
        p.Refresh();
        return (p.TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>Process CPU seconds of an estimate's sampling phase: the listeners' OnStart comes after L(w*), OnFinish after the last step.</summary>
    static double SamplingCpuSeconds(Network net, Tensor x, Tensor y, SgldOptions o)
    {
        var clock = new CpuClock();
        Llc.Estimate(net, x, y, o, [clock]);
        return clock.Seconds;
    }

    sealed class CpuClock : ISamplerObserver
    {
        TimeSpan start;
        public double Seconds { get; private set; }
        static TimeSpan Now() { using var p = Process.GetCurrentProcess(); return p.TotalProcessorTime; }
        public void OnStart(int chains, int draws, long totalSteps, bool vectorized) => start = Now();
        public void OnDraw(SamplerDraw draw) { }
        public void OnFinish() => Seconds = (Now() - start).TotalSeconds;
    }

    static double[] Interleaved(int rounds, params Func<double>[] contenders)
    {
        foreach (var f in contenders) f();
        var best = contenders.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < contenders.Length; i++) best[i] = Math.Min(best[i], contenders[i]());
        return best;
    }
}
