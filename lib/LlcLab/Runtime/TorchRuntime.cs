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
            }
            return status;
        }
    }

    /// <summary>TorchSharp's package version and libtorch's version.</summary>
    public static (string TorchSharp, string LibTorch) Versions()
    {
        Initialize();
        var asm = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
        return (asm, torch.__version__);
    }
}
