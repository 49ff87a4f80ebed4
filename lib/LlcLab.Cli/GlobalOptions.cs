using System.CommandLine;
using LlcLab.Runtime;

namespace LlcLab.Cli;

/// <summary>Options every verb accepts.</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Device = new("--device")
    {
        Description = "cpu, cuda or cuda:N (default: LLCLAB_DEVICE, else CUDA when available, else CPU).",
        Recursive = true,
    };

    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "libtorch threads (default: LLCLAB_THREADS, else libtorch's choice; 1 is fastest for small models on shared cores).",
        Recursive = true,
    };

    /// <summary>Applies global options before a verb runs.</summary>
    public static void Apply(ParseResult result)
    {
        var device = result.GetValue(Device);
        if (!string.IsNullOrWhiteSpace(device)) Devices.Override(device);
        if (result.GetValue(Threads) is int n) TorchRuntime.SetThreads(n);
    }
}
