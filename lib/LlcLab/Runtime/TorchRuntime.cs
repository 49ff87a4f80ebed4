using System.Runtime.CompilerServices;
using TorchSharp;

namespace LlcLab.Runtime;

/// <summary>
/// The one entry point that makes TorchSharp usable: applies <see cref="NativeLibraryFix"/> and
/// loads the backend. It runs automatically when any LlcLab type is first used (a module
/// initializer), so <c>dotnet test</c>, the CLI and notebooks that <c>#r</c> LlcLab.dll all get
/// it; a notebook that calls TorchSharp before touching LlcLab should call
/// <see cref="Initialize"/> first.
/// </summary>
public static class TorchRuntime
{
    static Exception? failure;
    static bool initialized;
    static readonly object Gate = new();

#pragma warning disable CA2255 // a library module initializer is exactly what is needed here
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnModuleLoad()
    {
        try { NativeLibraryFix.EnsureInstalled(); }
        catch (Exception e)
        {
            failure = e;
            Console.Error.WriteLine($"[llclab] TorchSharp native fix failed: {e.Message}");
        }
    }

    /// <summary>Applies the native fix and loads TorchSharp's CPU backend (and CUDA when present).</summary>
    public static NativeFixStatus Initialize()
    {
        lock (Gate)
        {
            if (failure is not null)
                throw new InvalidOperationException($"TorchSharp cannot be loaded: {failure.Message}", failure);
            var status = NativeLibraryFix.EnsureInstalled();
            if (!initialized)
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                initialized = true;
                if (int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out var n) && n > 0)
                    torch.set_num_threads(n);
            }
            return status;
        }
    }

    /// <summary>Environment variable giving libtorch's intra-op thread count. Small models (and
    /// several processes or test classes sharing 2 cores) run much faster with 1 thread, because
    /// OpenMP spin-waiting under oversubscription costs more than the parallelism gains.</summary>
    public const string ThreadsVariable = "LLCLAB_THREADS";

    /// <summary>Sets libtorch's intra-op thread count for this process.</summary>
    public static void SetThreads(int threads)
    {
        if (threads <= 0) throw new ArgumentException($"Threads must be positive, got {threads}.");
        Initialize();
        torch.set_num_threads(threads);
    }

    /// <summary>TorchSharp's package version and libtorch's version.</summary>
    public static (string TorchSharp, string LibTorch) Versions()
    {
        Initialize();
        var asm = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
        return (asm, torch.__version__);
    }
}
