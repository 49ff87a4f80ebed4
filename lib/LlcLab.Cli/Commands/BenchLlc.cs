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
/// <c>llclab bench llc</c>: sampler overhead (one SGLD step ÷ one plain forward+backward+SGD step, same model and batch;
/// for the default path, which uses the MLP's explicit backward pass, for the autograd path of networks without one (CNN,
/// transformer; there in process CPU time of the sampling phase, as the median over interleaved rounds of the ratio within a
/// round) and for the module path),
/// vectorised speedup (C chains one after another ÷ C chains vectorised) for a small MLP and a deep linear network, and
/// memory (resident set after 10,000 steps vs after 1,000). All numbers come from one run.
/// </summary>
public sealed class BenchLlc : IBenchmark
{
    public Command Build()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per measurement.", DefaultValueFactory = _ => 2000 };
        var chains = new Option<int>("--chains") { Description = "Chains for the vectorised speedup.", DefaultValueFactory = _ => 8 };
        var roundsOpt = new Option<int>("--rounds") { Description = "Interleaved blocks per comparison (the fastest block of each contender counts).", DefaultValueFactory = _ => 5 };
        var memSteps = new Option<int>("--memory-steps") { Description = "Steps for the memory check (RSS compared at 1,000 and at this many).", DefaultValueFactory = _ => 10_000 };
        var autogradOnly = new Option<bool>("--autograd-only") { Description = "Measure only the autograd-path overhead (CNN, transformer)." };
        var cmd = new Command("llc", "LLC sampler: overhead vs plain SGD, vectorised-chain speedup, memory stability.") { steps, chains, memSteps, roundsOpt, autogradOnly };
        return cmd.WithAction(r =>
        {
            var dev = Devices.Default;
            // Default 1 thread: OpenMP oversubscription dominates these tiny ops (global --threads overrides).
            set_num_threads(r.GetValue(GlobalOptions.Threads) ?? 1);
            int n = r.GetValue(steps), c = r.GetValue(chains), m = r.GetValue(memSteps), rounds = Math.Max(1, r.GetValue(roundsOpt));
            Console.WriteLine($"llclab bench llc — device {dev.type}, torch threads {get_num_threads()}, {n} timed steps in {rounds} interleaved rounds, C = {c}");
            var rows = new ProgressRows();

            using var mlp = Network.Create("mlp:64-32-32-10:relu", 1, dev);
            using var g = Seeding.Generator(7);
            var xm = randn([64, 64], generator: g).to(dev);
            var ym = randint(0, 10, [64], generator: g).to(dev);
            // Every comparison interleaves its contenders in `rounds` blocks and keeps each one's fastest block: a
            // ratio then compares like with like even when other processes load the machine part of the time.
            int k = Math.Max(50, n / rounds);
            using var plainNet = mlp.Clone();
            var opt = optim.SGD(plainNet.Module.parameters(), 1e-4);
            var sgldO = new SgldOptions { Chains = 1, Draws = k, BurnIn = 0, ComputeMala = false, Seed = 3, NBeta = 100, Lr = 1e-5 };
            bool onlyAutograd = r.GetValue(autogradOnly);
            var best = onlyAutograd ? [1.0, 1, 1, 1, 1] : Interleaved(rounds,
                () => PlainSgdSteps(plainNet.Module, opt, xm, ym, k) / k,
                () => Llc.Estimate(mlp, xm, ym, sgldO).Timings.SamplingSeconds / k,
                () => Llc.Estimate(mlp, xm, ym, sgldO with { ComputeMala = true }).Timings.SamplingSeconds / k,
                () => Llc.Estimate(mlp, xm, ym, sgldO with { ExplicitGradients = false }).Timings.SamplingSeconds / k,
                () => Llc.Estimate(mlp, xm, ym, sgldO, vectorized: false).Timings.SamplingSeconds / k);
            double plain = best[0], sgld = best[1], sgldMala = best[2], sgldAutograd = best[3], sgldModule = best[4];
            if (!onlyAutograd)
            {
            rows.Add(("plain fwd+bwd+SGD step, mlp 64-32-32-10, batch 64", plain * 1e6, "µs", null));
            rows.Add(("SGLD step (C = 1, default: vectorised, explicit backprop)", sgld * 1e6, "µs", null));
            rows.Add(("sampler overhead = SGLD ÷ plain", sgld / plain, "×", Goal.Max(1.10)));
            rows.Add(("sampler overhead with MALA diagnostic every step", sgldMala / plain, "×", null));
            rows.Add(("sampler overhead, mlp forced onto the autograd path", sgldAutograd / plain, "×", null));
            rows.Add(("sampler overhead, sequential on the module (any TorchSharp model)", sgldModule / plain, "×", null));
            }

            // The autograd path proper: networks without a hand-derived backward pass. Plain = the module's own
            // forward + backward + SGD; SGLD = the vectorised functional forward with C = 1 (the engine's per-step cost).
            foreach (var (spec, label, inputs) in new[]
            {
                ("cnn:digits:16-32", "cnn digits 16-32", 0),
                ("transformer:vocab=24,d=32,heads=2,layers=1,seq=3", "transformer d=32, 1 layer", 3),
            })
            {
                using var net = Network.Create(spec, 3, dev);
                var xa = inputs == 0 ? randn([64, 64], generator: g).to(dev) : randint(0, 24, [64, inputs], generator: g).to(ScalarType.Float32).to(dev);
                long classes = inputs == 0 ? 10 : 24;
                var ya = randint(0, classes, [64], generator: g).to(dev);
                using var plainA = net.Clone();
                var optA = optim.SGD(plainA.Module.parameters(), 1e-4);
                var oa = sgldO with { ExplicitGradients = false };
                // CPU time of this thread per step (ThreadCpuClock; with one torch thread libtorch runs every kernel here):
                // on a machine shared with other jobs wall time measures the scheduler as much as the code, and process CPU
                // time adds the runtime's JIT and GC threads at random moments. The SGLD contenders count their sampling phase
                // only (from the listeners' OnStart, after L(w*), to OnFinish), as the plain loop has no such set-up. Twice as
                // many rounds of half the steps, and each ratio is the median over rounds of the ratio within a round, whose
                // contenders ran back to back under the same load (a slow round slows both); the quartiles show its spread.
                int ka = Math.Max(50, k / 2), ra = 2 * rounds, kc = Math.Max(10, ka / c);
                var per = InterleavedRounds(ra,
                    () => CpuPerStep(() => PlainSgdSteps(plainA.Module, optA, xa, ya, ka), ka),
                    () => SamplingCpuSeconds(() => Llc.Estimate(net, xa, ya, oa with { Draws = ka }, [new CpuClock()])) / ka,
                    () => SamplingCpuSeconds(() => Llc.Estimate(net, xa, ya, oa with { Draws = ka }, [new CpuClock()], vectorized: false)) / ka,
                    () => CpuPerStep(() => FunctionalSgdSteps(net, xa, ya, ka), ka),
                    () => SamplingCpuSeconds(() => Llc.Estimate(net, xa, ya, oa with { Chains = c, Draws = kc }, [new CpuClock()])) / (kc * (double)c));
                var ta = per.Select(v => v.Min()).ToArray();
                double Ratio(int a, int b) => Median(Enumerable.Range(0, ra).Select(i => per[a][i] / per[b][i]));
                rows.Add(($"plain fwd+bwd+SGD step, {label}, batch 64 (thread CPU time)", ta[0] * 1e6, "µs", null));
                rows.Add(($"SGLD step, {label} (C = 1, vectorised, autograd; thread CPU time)", ta[1] * 1e6, "µs", null));
                rows.Add(($"sampler overhead on the autograd path, {label}", Ratio(1, 0), "×", Goal.Max(1.10)));
                var (q1, q3) = Quartiles(Enumerable.Range(0, ra).Select(i => per[1][i] / per[0][i]));
                rows.Add(($"  its lower quartile over {ra} rounds, {label}", q1, "×", null));
                rows.Add(($"  its upper quartile over {ra} rounds, {label}", q3, "×", null));
                rows.Add(($"sampler overhead chain by chain on the module, {label}", Ratio(2, 0), "×", null));
                rows.Add(($"  of which the batched functional form (its fwd+bwd+SGD ÷ plain), {label}", Ratio(3, 0), "×", null));
                rows.Add(($"  and the sampler itself (SGLD ÷ functional fwd+bwd+SGD), {label}", Ratio(1, 3), "×", null));
                rows.Add(($"per-chain cost of {c} vectorised chains ÷ plain step, {label}", Ratio(4, 0), "×", null));
            }

            foreach (var (spec, label) in onlyAutograd ? [] : new[] { ("mlp:64-32-32-10:relu", "mlp 64-32-32-10"), ("dln:32-32-32-32", "dln 32-32-32-32") })
            {
                using var net = Network.Create(spec, 2, dev);
                var x = randn([64, net.Spec.Widths[0]], generator: g).to(dev);
                Tensor y = spec.StartsWith("mlp") ? randint(0, 10, [64], generator: g).to(dev) : net.Forward(x);
                int s = Math.Max(100, n / 2 / rounds);
                var o = new SgldOptions { Chains = c, Draws = s, BurnIn = 0, ComputeMala = false, Seed = 1, NBeta = 100, Lr = 1e-5 };
                var t = Interleaved(rounds,
                    () => Llc.Estimate(net, x, y, o, vectorized: false).Timings.SamplingSeconds / s,
                    () => Llc.Estimate(net, x, y, o).Timings.SamplingSeconds / s,
                    () => Llc.Estimate(net, x, y, o with { Chains = 1 }).Timings.SamplingSeconds / s);
                double seq = t[0], vec = t[1], one = t[2];
                rows.Add(($"{label}: {c} chains sequential (module) per step", seq * 1e6, "µs", null));
                rows.Add(($"{label}: {c} chains vectorised per step", vec * 1e6, "µs", null));
                rows.Add(($"{label}: vectorised speedup at C = {c} (vs sequential module)", seq / vec, "×", Goal.Min(4)));
                rows.Add(($"{label}: vectorised speedup at C = {c} (vs {c} × vectorised C = 1)", c * one / vec, "×", null));
            }

            if (!onlyAutograd)
            {
                var (rss1k, rssEnd) = Memory(mlp, xm, ym, 1, m);
                rows.Add(("RSS after 1,000 steps (mlp, 1 chain, MALA on)", rss1k / 1048576.0, "MiB", null));
                rows.Add(($"RSS after {m:N0} steps", rssEnd / 1048576.0, "MiB", null));
                rows.Add(("RSS growth", (rssEnd - rss1k) / (double)rss1k * 100, "%", Goal.Max(5)));
            }

            int w = rows.Max(t => t.Name.Length);
            Console.WriteLine($"{"measure".PadRight(w)}  {"value",10}  unit  goal");
            foreach (var (name, value, unit, goal) in rows)
                Console.WriteLine($"{name.PadRight(w)}  {value.ToString("F3", CultureInfo.InvariantCulture),10}  {unit,-4}  {goal}{(goal is null ? "" : goal.Met(value) ? "  PASS" : "  FAIL")}");
            foreach (var (name, value, unit, goal) in rows)
                if (goal is not null) BenchGoals.Record(name, value, unit, goal);
            return 0;
        });
    }

    /// <summary>Rows printed as soon as they are measured (a long run shows progress), then tabulated at the end.</summary>
    sealed class ProgressRows : List<(string Name, double Value, string Unit, Goal? Goal)>
    {
        public new void Add((string Name, double Value, string Unit, Goal? Goal) row)
        {
            base.Add(row);
            Console.WriteLine($"  {row.Name}: {row.Value.ToString("F3", CultureInfo.InvariantCulture)} {row.Unit}");
        }
    }

    /// <summary>Runs each contender once to warm up, then <paramref name="rounds"/> times in turn; returns each one's minimum.</summary>
    static double[] Interleaved(int rounds, params Func<double>[] contenders)
    {
        foreach (var f in contenders) f();
        var best = contenders.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < contenders.Length; i++) best[i] = Math.Min(best[i], contenders[i]());
        return best;
    }

    /// <summary>Runs each contender once to warm up, then <paramref name="rounds"/> times in turn; returns every round's value per contender.</summary>
    static double[][] InterleavedRounds(int rounds, params Func<double>[] contenders)
    {
        foreach (var f in contenders) f();
        var all = contenders.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < contenders.Length; i++) all[i][r] = contenders[i]();
        return all;
    }

    static (double Q1, double Q3) Quartiles(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        double At(double q) { double pos = q * (s.Length - 1); int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, s.Length - 1); return s[lo] + (pos - lo) * (s[hi] - s[lo]); }
        return (At(0.25), At(0.75));
    }

    static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The sampling-phase CPU seconds measured by the <see cref="CpuClock"/> that <paramref name="run"/> passed to the estimate.</summary>
    static double SamplingCpuSeconds(Func<LlcResult> run) => CpuClock.Last(run);

    /// <summary>The thread's CPU time from the listeners' OnStart (after L(w*)) to OnFinish (after the last step) of one estimate.</summary>
    sealed class CpuClock : ISamplerObserver
    {
        [ThreadStatic] static double last;
        double start;
        public void OnStart(int chains, int draws, long totalSteps, bool vectorized) => start = ThreadCpuClock.Now();
        public void OnDraw(SamplerDraw draw) { }
        public void OnFinish() => last = ThreadCpuClock.Now() - start;
        public static double Last(Func<LlcResult> run) { last = double.NaN; run(); return last; }
    }

    /// <summary>The calling thread's CPU seconds for <paramref name="run"/> (<see cref="ThreadCpuClock"/>) divided by <paramref name="steps"/>.</summary>
    static double CpuPerStep(Action run, int steps)
    {
        double before = ThreadCpuClock.Now();
        run();
        return (ThreadCpuClock.Now() - before) / steps;
    }

    /// <summary>Seconds for <paramref name="k"/> plain training steps (forward, backward, SGD) with the sampler's loss.</summary>
    static double PlainSgdSteps(nn.Module<Tensor, Tensor> module, optim.Optimizer opt, Tensor x, Tensor y, int k)
    {
        module.train();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < k; i++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = Losses.Compute(LossKind.CrossEntropy, module.call(x), y);
            loss.backward();
            opt.step();
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary><paramref name="k"/> plain SGD steps in the sampler's own formulation (one flat leaf, batched functional
    /// forward, autograd into the flat gradient): the baseline that separates the sampler's cost from the formulation's.</summary>
    static void FunctionalSgdSteps(Network net, Tensor x, Tensor y, int k)
    {
        using var scope = NewDisposeScope();
        var wStar = net.ParameterTensors().Select(p => (Tensor)p.detach()).ToList();
        var target = SgmcmcTarget.Vectorized(net.Functional, wStar, 1, LossKind.CrossEntropy, explicitGradients: false);
        using var lr = (-1e-4).ToScalar();
        for (int i = 0; i < k; i++)
        {
            using var step = NewDisposeScope();
            var (_, grads) = target.LossAndGradient(x, y);
            using var ng = no_grad();
            target.Leaves[0].add_(grads[0], lr);
        }
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
