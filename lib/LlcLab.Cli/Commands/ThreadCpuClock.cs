using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LlcLab.Cli.Commands;

/// <summary>
/// CPU seconds consumed by the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>; elsewhere the process's
/// CPU time). With one torch thread libtorch runs every kernel inline on the caller, so this counts exactly the work of
/// the code being timed: not the other jobs sharing the machine (wall time would), and not the runtime's background
/// threads, tiered JIT compilation and the GC's, which process CPU time adds at random moments.
/// </summary>
static class ThreadCpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Seconds; public long Nanoseconds; }

    const int ClockThreadCputimeId = 3;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGettime(int clock, out Timespec ts);

    static readonly bool Native = OperatingSystem.IsLinux() && Probe();

    static bool Probe()
    {
        try { return ClockGettime(ClockThreadCputimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>True when the clock is the thread's own (not the process fallback).</summary>
    public static bool IsPerThread => Native;

    /// <summary>The calling thread's CPU seconds so far.</summary>
    public static double Now()
    {
        if (Native && ClockGettime(ClockThreadCputimeId, out var ts) == 0) return ts.Seconds + ts.Nanoseconds * 1e-9;
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }
}
