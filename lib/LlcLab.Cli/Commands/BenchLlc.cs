using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab bench llc</c>: sampler overhead (one SGLD step ÷ one plain forward+backward+SGD step, same model and batch),
/// vectorised speedup (C chains one after another ÷ C chains vectorised) for a small MLP and a deep linear network, and
/// memory (resident set after 10,000 steps vs after 1,000). All numbers come from one run.
/// </summary>
public sealed class BenchLlc : IBenchmark
{
    public Command Build()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per measurement.", DefaultValueFactory = _ => 2000 };
        var chains = new Option<int>("--chains") { Description = "Chains for the vectorised speedup.", DefaultValueFactory = _ => 8 };
        var memSteps = new Option<int>("--memory-steps") { Description = "Steps for the memory check (RSS compared at 1,000 and at this many).", DefaultValueFactory = _ => 10_000 };
        var threads = new Option<int>("--threads") { Description = "torch intra-op threads (1 avoids OpenMP oversubscription for these tiny ops; 0 = leave as is).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("llc", "LLC sampler: overhead vs plain SGD, vectorised-chain speedup, memory stability.") { steps, chains, memSteps, threads };
        return cmd.WithAction(r =>
        {
            var dev = Devices.Default;
            if (r.GetValue(threads) > 0) set_num_threads(r.GetValue(threads));
            int n = r.GetValue(steps), c = r.GetValue(chains), m = r.GetValue(memSteps);
            Console.WriteLine($"llclab bench llc — device {dev.type}, torch threads {get_num_threads()}, {n} timed steps, C = {c}");
            var rows = new ProgressRows();

            using var mlp = Network.Create("mlp:64-32-32-10:relu", 1, dev);
            using var g = Seeding.Generator(7);
            var xm = randn([64, 64], generator: g).to(dev);
            var ym = randint(0, 10, [64], generator: g).to(dev);
            double plain = PlainSgdStep(mlp, xm, ym, n);
            double sgld = SgldStep(mlp, xm, ym, n, mala: false);
            double sgldMala = SgldStep(mlp, xm, ym, n, mala: true);
            rows.Add(("plain fwd+bwd+SGD step, mlp 64-32-32-10, batch 64", plain * 1e6, "µs", ""));
            rows.Add(("SGLD step (C = 1, vectorised path)", sgld * 1e6, "µs", ""));
            rows.Add(("sampler overhead = SGLD ÷ plain", sgld / plain, "×", "≤ 1.10"));
            rows.Add(("sampler overhead with MALA diagnostic every step", sgldMala / plain, "×", ""));

            foreach (var (spec, label) in new[] { ("mlp:64-32-32-10:relu", "mlp 64-32-32-10"), ("dln:32-32-32-32", "dln 32-32-32-32") })
            {
                using var net = Network.Create(spec, 2, dev);
                var x = randn([64, net.Spec.Widths[0]], generator: g).to(dev);
                Tensor y = spec.StartsWith("mlp") ? randint(0, 10, [64], generator: g).to(dev) : net.Forward(x);
                int s = Math.Max(200, n / 2);
                var o = new SgldOptions { Chains = c, Draws = s, BurnIn = 0, ComputeMala = false, Seed = 1, NBeta = 100, Lr = 1e-5 };
                Llc.Estimate(net, x, y, o with { Draws = 50 }); // warm-up
                var vec = Llc.Estimate(net, x, y, o);
                var seq = Llc.Estimate(net, x, y, o, vectorized: false);
                var one = Llc.Estimate(net, x, y, o with { Chains = 1 });
                rows.Add(($"{label}: {c} chains sequential (module) per step", seq.Timings.SamplingSeconds / s * 1e6, "µs", ""));
                rows.Add(($"{label}: {c} chains vectorised per step", vec.Timings.SamplingSeconds / s * 1e6, "µs", ""));
                rows.Add(($"{label}: vectorised speedup at C = {c} (vs sequential module)", seq.Timings.SamplingSeconds / vec.Timings.SamplingSeconds, "×", "≥ 4"));
                rows.Add(($"{label}: vectorised speedup at C = {c} (vs {c} × vectorised C = 1)", c * one.Timings.SamplingSeconds / vec.Timings.SamplingSeconds, "×", ""));
            }

            var (rss1k, rssEnd) = Memory(mlp, xm, ym, 1, m);
            rows.Add(("RSS after 1,000 steps (mlp, 1 chain, MALA on)", rss1k / 1048576.0, "MiB", ""));
            rows.Add(($"RSS after {m:N0} steps", rssEnd / 1048576.0, "MiB", ""));
            rows.Add(("RSS growth", (rssEnd - rss1k) / (double)rss1k * 100, "%", "within 5%"));

            int w = rows.Max(t => t.Name.Length);
            Console.WriteLine($"{"measure".PadRight(w)}  {"value",10}  unit  goal");
            foreach (var (name, value, unit, goal) in rows)
                Console.WriteLine($"{name.PadRight(w)}  {value.ToString("F3", CultureInfo.InvariantCulture),10}  {unit,-4}  {goal}");
            return 0;
        });
    }

    /// <summary>Rows printed as soon as they are measured (a long run shows progress), then tabulated at the end.</summary>
    sealed class ProgressRows : List<(string Name, double Value, string Unit, string Goal)>
    {
        public new void Add((string Name, double Value, string Unit, string Goal) row)
        {
            base.Add(row);
            Console.WriteLine($"  {row.Name}: {row.Value.ToString("F3", CultureInfo.InvariantCulture)} {row.Unit}");
        }
    }

    static double PlainSgdStep(Network net, Tensor x, Tensor y, int steps)
    {
        using var copy = net.Clone();
        var module = copy.Module;
        module.train();
        var opt = optim.SGD(module.parameters(), 1e-4);
        double Run(int k)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < k; i++)
            {
                using var scope = NewDisposeScope();
                opt.zero_grad();
                var loss = SamplingLosses.PerChain(LossKind.CrossEntropy, module.call(x).unsqueeze(0), y).sum();
                loss.backward();
                opt.step();
            }
            return sw.Elapsed.TotalSeconds / k;
        }
        Run(Math.Max(50, steps / 10));
        return Run(steps);
    }

    static double SgldStep(Network net, Tensor x, Tensor y, int steps, bool mala)
    {
        var o = new SgldOptions { Chains = 1, Draws = steps, BurnIn = 0, ComputeMala = mala, Seed = 3, NBeta = 100, Lr = 1e-5 };
        Llc.Estimate(net, x, y, o with { Draws = Math.Max(50, steps / 10) });
        return Llc.Estimate(net, x, y, o).Timings.SamplingSeconds / steps;
    }

    static (long At1k, long AtEnd) Memory(Network net, Tensor x, Tensor y, int chains, int steps)
    {
        var probe = new RssProbe(1000);
        var o = new SgldOptions { Chains = chains, Draws = steps, BurnIn = 0, Seed = 5, NBeta = 100, Lr = 1e-5 };
        Llc.Estimate(net, x, y, o, [probe]);
        return (probe.AtMark, Rss());
    }

    static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }

    sealed class RssProbe(long mark) : ISamplerObserver
    {
        public long AtMark { get; private set; }
        public void OnDraw(SamplerDraw draw) { }
        public void OnProgress(long done, long total) { if (done == mark) AtMark = Rss(); }
    }
}
