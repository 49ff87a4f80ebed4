using System.CommandLine;
using System.Diagnostics;
using LlcLab.Erasure;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab bench erase</c>: streaming LEACE fit throughput (rows/s) against the bare float64 XᵀX on the same batches.
/// The fit's floor is one n·d² GEMM for Σ_XX (2nd² flops) plus an eigh and an SVD of d×d; the ratio shows the overhead.
/// </summary>
public sealed class BenchErase : IBenchmark
{
    public Command Build()
    {
        var n = new Option<long>("--n") { Description = "Rows.", DefaultValueFactory = _ => 100_000 };
        var d = new Option<long>("--d") { Description = "Features.", DefaultValueFactory = _ => 512 };
        var k = new Option<int>("--k") { Description = "Classes.", DefaultValueFactory = _ => 2 };
        var batch = new Option<long>("--batch") { Description = "Rows per streaming update.", DefaultValueFactory = _ => 10_000 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions (the median is reported).", DefaultValueFactory = _ => 3 };
        var dtype = new Option<string>("--dtype") { Description = "Input dtype: float64 or float32 (statistics are float64 either way).", DefaultValueFactory = _ => "float64" };
        var cmd = new Command("erase", "LEACE streaming fit throughput vs the bare float64 XᵀX.") { n, d, k, batch, repeats, dtype };
        return cmd.WithAction(r =>
        {
            long rows = r.GetValue(n), dim = r.GetValue(d), b = r.GetValue(batch);
            int classes = r.GetValue(k), reps = Math.Max(1, r.GetValue(repeats));
            if (rows < 2 || dim < 1 || b < 1 || classes < 2) throw new ArgumentException("Need n ≥ 2, d ≥ 1, batch ≥ 1, k ≥ 2.");
            var inType = r.GetValue(dtype) switch { "float64" => ScalarType.Float64, "float32" => ScalarType.Float32, var s => throw new ArgumentException($"Unknown --dtype '{s}'.") };
            var device = Devices.Default;
            Console.WriteLine($"bench erase: n = {rows:N0}, d = {dim}, k = {classes}, batch = {b:N0}, input {inType}, device {device.type}, threads {get_num_threads()}");

            // Data: class means plus anisotropic noise, generated once (not timed).
            var batches = new List<(Tensor X, Tensor Z)>();
            using (var g = Seeding.Generator(0))
            {
                using var means = randn([classes, dim], dtype: ScalarType.Float64, generator: g);
                using var scales = logspace(-1, 1, dim, dtype: ScalarType.Float64);
                for (long s = 0; s < rows; s += b)
                {
                    long m = Math.Min(b, rows - s);
                    using var scope = NewDisposeScope();
                    var z = randint(0, classes, [m], dtype: ScalarType.Int64, generator: g);
                    var x = randn([m, dim], dtype: ScalarType.Float64, generator: g) * scales + means.index_select(0, z);
                    batches.Add((x.to_type(inType).to(device).DetachFromDisposeScope(), z.to(device).DetachFromDisposeScope()));
                }
            }
            int zDim = classes == 2 ? 1 : classes;

            var proc = Process.GetCurrentProcess();
            double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }

            double FitOnce(out double updateSeconds)
            {
                var sw = Stopwatch.StartNew();
                using var fitter = new LeaceFitter(dim, zDim, device: device);
                foreach (var (x, z) in batches) fitter.Update(x, z);
                using (var m = fitter.MeanX) m.sum().item<double>(); // sync
                updateSeconds = sw.Elapsed.TotalSeconds;
                using var e = fitter.FitEraser();
                using (var sum = e.Left.sum()) sum.item<double>();
                return sw.Elapsed.TotalSeconds;
            }

            double GramOnce()
            {
                var sw = Stopwatch.StartNew();
                using var acc = zeros(dim, dim, dtype: ScalarType.Float64, device: device);
                foreach (var (x, _) in batches)
                {
                    using var x64 = x.to_type(ScalarType.Float64);
                    acc.addmm_(x64.t(), x64);
                }
                using (var s = acc.sum()) s.item<double>();
                return sw.Elapsed.TotalSeconds;
            }

            // Warm-up (kernel selection, allocator) on the first batch only.
            { using var f = new LeaceFitter(dim, zDim, device: device); f.Update(batches[0].X, batches[0].Z); using var e = f.FitEraser(); }

            var fits = new List<double>(); var updates = new List<double>(); var grams = new List<double>();
            var fitCpu = new List<double>(); var gramCpu = new List<double>();
            for (int i = 0; i < reps; i++)
            {
                double c0 = Cpu();
                grams.Add(GramOnce());
                double c1 = Cpu();
                fits.Add(FitOnce(out var u));
                double c2 = Cpu();
                updates.Add(u);
                gramCpu.Add(c1 - c0); fitCpu.Add(c2 - c1);
            }
            double Median(List<double> v) { var s = v.OrderBy(t => t).ToList(); return s[s.Count / 2]; }
            double fit = Median(fits), upd = Median(updates), gram = Median(grams);
            double flops = 2.0 * rows * dim * dim;
            Console.WriteLine($"  bare XᵀX (float64)        : {gram,8:F3} s  {rows / gram,12:N0} rows/s  {flops / gram / 1e9,6:F1} GFLOP/s");
            Console.WriteLine($"  LEACE streaming updates   : {upd,8:F3} s  {rows / upd,12:N0} rows/s");
            Console.WriteLine($"  LEACE fit (updates+eraser): {fit,8:F3} s  {rows / fit,12:N0} rows/s  (eraser: eigh + SVD {fit - upd:F3} s)");
            Console.WriteLine($"  ratio fit / XᵀX           : {fit / gram,8:F2}   (updates only: {upd / gram:F2})");
            double fc = Median(fitCpu), gc = Median(gramCpu);
            Console.WriteLine($"  process CPU time          : XᵀX {gc:F3} s, fit {fc:F3} s, ratio {fc / gc:F2} (robust to other load on the machine)");
            foreach (var (x, z) in batches) { x.Dispose(); z.Dispose(); }
            return 0;
        });
    }
}
