using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab bench erase</c>: the whole <c>llclab erase --method leace</c> process on an n × d float32 <c>.npy</c> (written to
/// <c>--dir</c>, deleted afterwards) against the float64 NumPy reference <c>Bench/erase_reference.py</c> (LEACE fit + apply,
/// run as a subprocess when python3 with numpy is found), measured in one run: wall and CPU time of each process and
/// their ratio, agreement of the two outputs, and peak resident memory of the erase against
/// 2 × (one chunk + the d² statistics) above a baseline run on 256 rows. CPU times come from
/// <c>getrusage(RUSAGE_CHILDREN)</c>, so they are exact per child and robust to other load on the machine; peak RSS is the
/// child's own high-water mark (<c>VmHWM</c>, see <see cref="BenchProcess.Run"/>).
/// Rerun the reference by hand: <c>python3 lib/LlcLab.Cli/Bench/erase_reference.py X.npy Z.npy OUT.npy</c>.
/// </summary>
public sealed class BenchErase : IBenchmark
{
    public Command Build()
    {
        var n = new Option<long>("--n") { Description = "Rows.", DefaultValueFactory = _ => 100_000 };
        var d = new Option<long>("--d") { Description = "Features.", DefaultValueFactory = _ => 512 };
        var k = new Option<int>("--k") { Description = "Classes.", DefaultValueFactory = _ => 2 };
        var dir = new Option<string>("--dir") { Description = "Folder for the generated files (deleted afterwards).", DefaultValueFactory = _ => Path.GetTempPath() };
        var reference = new Option<string>("--reference") { Description = "auto (run the NumPy reference if python3 + numpy exist) or skip.", DefaultValueFactory = _ => "auto" };
        var peakGoal = new Option<double>("--peak-goal") { Description = "Also check the erase's peak resident memory against this many MiB (0 = no such goal; `bench all` uses 1,024 at 10⁶ × 1,024).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("erase", "Streaming `llclab erase` vs the float64 NumPy reference: time ratio and resident memory.") { n, d, k, dir, reference, peakGoal };
        return cmd.WithAction(r =>
        {
            long rows = r.GetValue(n), dim = r.GetValue(d);
            int classes = r.GetValue(k);
            if (rows < 2 || dim < 1 || classes < 2) throw new ArgumentException("Need --n ≥ 2, --d ≥ 1 and --k ≥ 2.");
            var refMode = r.GetValue(reference)!.Trim().ToLowerInvariant();
            if (refMode is not ("auto" or "skip")) throw new ArgumentException($"--reference must be auto or skip, not '{refMode}'.");
            var work = Path.Combine(Path.GetFullPath(r.GetValue(dir)!), $"llclab-bench-erase-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            if (!(r.GetValue(peakGoal) >= 0)) throw new ArgumentException($"--peak-goal must be ≥ 0 MiB, got {r.GetValue(peakGoal)}.");
            try { return Run(rows, dim, classes, work, refMode == "auto", r.GetValue(peakGoal)); }
            finally { Directory.Delete(work, recursive: true); }
        });
    }

    static int Run(long rows, long dim, int classes, string work, bool runReference, double peakGoalMiB)
    {
        string X(string name) => Path.Combine(work, name);
        double mib = rows * dim * 4 / 1048576.0;
        long chunkRows = Math.Max(1, StreamingErasure.DefaultChunkBytes / (dim * 4));
        Console.WriteLine($"bench erase: n = {rows:N0}, d = {dim}, k = {classes}, float32 X of {mib:N0} MiB in {work}; chunk {chunkRows:N0} rows " +
                          $"({StreamingErasure.DefaultChunkBytes >> 20} MiB); libtorch threads {get_num_threads()}");
        var sw = Stopwatch.StartNew();
        Generate(X("x.npy"), X("z.npy"), rows, dim, classes);
        Generate(X("x_small.npy"), X("z_small.npy"), 256, dim, classes);
        Console.WriteLine($"  generated the data in {sw.Elapsed.TotalSeconds:F1} s");

        var small = BenchProcess.Run(BenchProcess.Self(), [.. BenchProcess.SelfArgs(), "erase", "--method", "leace", "--data", X("x_small.npy"), "--concept", X("z_small.npy"), "--out", X("out_small.npy")]);
        var ours = BenchProcess.Run(BenchProcess.Self(), [.. BenchProcess.SelfArgs(), "erase", "--method", "leace", "--data", X("x.npy"), "--concept", X("z.npy"), "--out", X("out.npy")]);
        Console.WriteLine($"  llclab erase (whole process)  : {ours.Wall,8:F2} s wall {ours.Cpu,8:F2} s CPU   peak RSS {ours.PeakMiB,6:N0} MiB   ({ours.FirstLine})");

        string? python = runReference ? BenchProcess.FindPython("numpy") : null;
        if (python is null)
            Console.WriteLine(runReference ? "  numpy reference               : unavailable (no python3 with numpy; Debian: apt-get install python3-numpy) — ratio unavailable"
                                           : "  numpy reference               : skipped (--reference skip) — ratio unavailable");
        else
        {
            var script = X("erase_reference.py");
            using (var s = typeof(BenchErase).Assembly.GetManifestResourceStream("erase_reference.py")!)
            using (var f = File.Create(script)) s.CopyTo(f);
            var py = BenchProcess.Run(python, [script, X("x.npy"), X("z.npy"), X("ref.npy")]);
            Console.WriteLine($"  numpy float64 reference       : {py.Wall,8:F2} s wall {py.Cpu,8:F2} s CPU   peak RSS {py.PeakMiB,6:N0} MiB   ({python})");
            Console.WriteLine($"  ratio reference / llclab      : {py.Wall / ours.Wall,8:F1}× wall {py.Cpu / ours.Cpu,7:F1}× CPU   (goal ≥ 10×)");
            BenchGoals.Record($"llclab erase vs float64 NumPy, {rows:N0} × {dim} (CPU)", py.Cpu / ours.Cpu, "×", Goal.Min(10));
            Console.WriteLine($"  outputs agree                 : max |llclab − numpy| = {MaxAbsDiff(X("out.npy"), X("ref.npy")):E2}");
        }
        // Peak RSS above a run on 256 rows of the same width (runtime, libtorch, the d×d eraser algebra): what n adds.
        double statsMiB = 8.0 * dim * dim / 1048576, chunkMiB = StreamingErasure.DefaultChunkBytes / 1048576.0;
        double extra = ours.PeakMiB - small.PeakMiB, bound = 2 * (chunkMiB + statsMiB);
        Console.WriteLine($"  resident memory               : baseline (256 rows) {small.PeakMiB:N0} MiB, + {extra:N0} MiB for n = {rows:N0}; " +
                          $"bound 2 × (chunk {chunkMiB:N0} MiB + d² statistics {statsMiB:N1} MiB) = {bound:N0} MiB {(extra <= bound ? "✓" : "✗")}");
        BenchGoals.Record($"erase resident memory above 256 rows, {rows:N0} × {dim}", extra, "MiB", Goal.Max(Math.Round(bound)));
        if (peakGoalMiB > 0) BenchGoals.Record($"erase peak resident memory, {rows:N0} × {dim}", ours.PeakMiB, "MiB", Goal.Max(peakGoalMiB));
        BenchGoals.PrintRecorded();
        return 0;
    }

    /// <summary>Class means plus anisotropic Gaussian noise (standard deviations 10^-0.5 … 10^0.5), written chunk by chunk.</summary>
    static void Generate(string xPath, string zPath, long rows, long dim, int classes)
    {
        using var g = Seeding.Generator(0);
        using var means = randn([classes, dim], dtype: ScalarType.Float32, generator: g);
        using var scales = logspace(-0.5, 0.5, dim, dtype: ScalarType.Float32);
        using var z = randint(0, classes, [rows], dtype: ScalarType.Int64, generator: g);
        using var w = new NpyWriter(xPath, ScalarType.Float32, [rows, dim]);
        long block = Math.Max(1, (16L << 20) / (4 * dim));
        for (long s = 0; s < rows; s += block)
        {
            using var scope = NewDisposeScope();
            long m = Math.Min(block, rows - s);
            w.Write(randn([m, dim], dtype: ScalarType.Float32, generator: g) * scales + means.index_select(0, z.narrow(0, s, m)));
        }
        w.Commit();
        Npy.Write(zPath, z);
    }

    static double MaxAbsDiff(string a, string b)
    {
        using var ra = NpyReader.Open(a);
        using var rb = NpyReader.Open(b);
        double max = 0;
        ra.ForEachChunk(ra.RowsForBytes(16L << 20), (s, block) =>
        {
            using var other = rb.ReadRows(s, block.shape[0]);
            using var diff = (block.to_type(ScalarType.Float64) - other.to_type(ScalarType.Float64)).abs().max();
            max = Math.Max(max, diff.item<double>());
        });
        return max;
    }
}
