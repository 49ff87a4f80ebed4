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
        Description = "libtorch threads (default: LLCLAB_THREADS, else 1 — fastest for this suite's small models, and immune to OpenMP oversubscription when cores are shared; `bench erase` defaults to all cores).",
        Recursive = true,
    };

    /// <summary>Applies global options before a verb runs.</summary>
    public static void Apply(ParseResult result)
    {
        var device = result.GetValue(Device);
        if (!string.IsNullOrWhiteSpace(device)) Devices.Override(device);
        if (result.GetValue(Threads) is int n) TorchRuntime.SetThreads(n);
        // One thread unless asked otherwise: measured 9 s vs 339 s for notebook 02 in quick mode on 2 busy cores.
        else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TorchRuntime.ThreadsVariable)) && !IsBenchErase(result))
            TorchRuntime.SetThreads(1);
    }

    static bool IsBenchErase(ParseResult result)
    {
        var names = new List<string>();
        for (var c = result.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Add(c.Command.Name);
        return names.Count >= 2 && names[0] == "erase" && names[1] == "bench";
    }
}
