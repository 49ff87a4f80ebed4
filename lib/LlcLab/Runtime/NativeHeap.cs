using System.Runtime.InteropServices;

namespace LlcLab.Runtime;

/// <summary>
/// The C heap (glibc malloc) that libtorch allocates tensors from. By default glibc raises its mmap threshold to the size
/// of the largest block freed so far, after which megabyte-sized tensor buffers come from the heap and fragment it: a
/// streaming pass that allocates and frees blocks of varying size then grows its resident memory with the number of rows
/// (measured: +27 MiB from 100,000 to 300,000 rows of 512 features, +425 MiB at 10⁶ × 1,024). Pinning the threshold at
/// 128 KiB keeps every large buffer in its own mapping, returned to the system when freed, at the cost of a page fault per
/// fresh page (a few percent of system time).
/// </summary>
public static class NativeHeap
{
    const int MmapThreshold = -3; // M_MMAP_THRESHOLD in <malloc.h>

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    static int done;

    /// <summary>Pins glibc's mmap threshold at 128 KiB (once per process; no-op elsewhere than glibc/Linux).</summary>
    public static void ReturnLargeBlocksToTheSystem()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref done, 1) == 1) return;
        try { Mallopt(MmapThreshold, 128 * 1024); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (e.g. musl): nothing to tune
    }
}
