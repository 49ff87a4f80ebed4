using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace LlcLab.Cli.Commands;

/// <summary>Child processes of the benchmarks: this CLI or a Python reference, timed whole (wall, and CPU and peak RSS from
/// <c>getrusage(RUSAGE_CHILDREN)</c>, exact per child and robust to other load on the machine).</summary>
internal static class BenchProcess
{
    public static string? FindPython(string module)
    {
        foreach (var p in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var proc = Process.Start(new ProcessStartInfo(p, ["-c", "import " + module]) { RedirectStandardError = true, RedirectStandardOutput = true });
                if (proc is null) continue;
                proc.WaitForExit();
                if (proc.ExitCode == 0) return p;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }

    public static string Self() => Environment.ProcessPath!;

    /// <summary>When running under the <c>dotnet</c> host, the CLI assembly must be its first argument.</summary>
    public static string[] SelfArgs() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [Assembly.GetEntryAssembly()!.Location] : [];

    /// <summary>Wall and CPU seconds, peak resident MiB, the first line of standard output (shortened) and all of it.</summary>
    public sealed record ChildRun(double Wall, double Cpu, double PeakMiB, string FirstLine, string Output);

    /// <summary>Runs the child to completion. Its peak RSS is the high-water mark <c>VmHWM</c> of <c>/proc/PID/status</c>, polled every
    /// 10 ms on a dedicated thread, the last reading before exit counting: <c>getrusage</c>'s <c>ru_maxrss</c> of a child starts from the parent's resident set (the child is forked from this
    /// process before it execs, and Linux carries the forked copy's high-water mark across exec), so a child smaller than this
    /// benchmark process would report the parent's size. Where <c>/proc</c> is unavailable, <c>ru_maxrss</c> is used.</summary>
    public static ChildRun Run(string file, string[] args)
    {
        var before = Usage.Children();
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        long hwmKiB = 0;
        using var stop = new ManualResetEventSlim();
        // A dedicated thread, not the thread pool: a pool starved by parallel work (the test host runs many tests at once) can
        // miss a short child entirely, and the fallback would then report the parent-sized ru_maxrss.
        var poll = new Thread(() =>
        {
            do
            {
                // The latest reading, not the largest: VmHWM only grows within one image, and a reading taken between fork and
                // exec is the parent's copy.
                if (HighWaterKiB(p.Id) is { } v) Volatile.Write(ref hwmKiB, v);
            } while (!stop.Wait(10));
        }) { IsBackground = true, Name = "bench-rss-poll" };
        poll.Start();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        stop.Set();
        poll.Join();
        double wall = sw.Elapsed.TotalSeconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with exit code {p.ExitCode}: {err.Result.Trim()}");
        var after = Usage.Children();
        var first = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        if (first.Length > 90) first = first[..90] + "…";
        // Without a /proc reading ru_maxrss is only an upper bound (see above); where /proc exists but the child was never seen
        // the peak is unknown, reported as NaN rather than as the parent's size.
        double peakKiB = hwmKiB > 0 ? hwmKiB : Directory.Exists("/proc/self") ? double.NaN : after.MaxRssKiB;
        return new ChildRun(wall, after.Cpu - before.Cpu, peakKiB / 1024.0, first, output);
    }

    /// <summary>VmHWM (peak resident set of the process's current image) in KiB, or null when it cannot be read (exited, no /proc).</summary>
    static long? HighWaterKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    /// <summary><c>getrusage(RUSAGE_CHILDREN)</c>: CPU seconds of all waited-for children and the largest peak RSS among them.</summary>
    static class Usage
    {
        [StructLayout(LayoutKind.Sequential)]
        struct RUsage
        {
            public long UtimeSec, UtimeUsec, StimeSec, StimeUsec, MaxRss;
            public long Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
        }

        [DllImport("libc", SetLastError = true)]
        static extern int getrusage(int who, out RUsage usage);

        public static (double Cpu, long MaxRssKiB) Children()
        {
            if (getrusage(-1, out var u) != 0) throw new InvalidOperationException($"getrusage failed (errno {Marshal.GetLastWin32Error()}).");
            return (u.UtimeSec + u.UtimeUsec / 1e6 + u.StimeSec + u.StimeUsec / 1e6, u.MaxRss);
        }
    }
}
