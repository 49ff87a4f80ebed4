using TorchSharp;

namespace LlcLab.Runtime;

/// <summary>
/// The single place that decides where tensors live. Order: <see cref="Override"/> (the CLI's
/// <c>--device</c>), the <c>LLCLAB_DEVICE</c> environment variable (<c>cpu</c>, <c>cuda</c>,
/// <c>cuda:1</c>), else CUDA when TorchSharp reports it, else CPU.
/// </summary>
public static class Devices
{
    public const string EnvironmentVariable = "LLCLAB_DEVICE";
    static string? overrideName;

    /// <summary>Forces a device for this process (null clears it).</summary>
    public static void Override(string? name)
    {
        if (name is not null) Parse(name); // validate early, with a clear message
        overrideName = name;
    }

    /// <summary>Where the source of the current choice comes from.</summary>
    public static string Source =>
        overrideName is not null ? "override (--device)"
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } ? $"environment ({EnvironmentVariable})"
        : "auto";

    /// <summary>True when TorchSharp reports a usable CUDA device.</summary>
    public static bool CudaAvailable
    {
        get
        {
            TorchRuntime.Initialize();
            try { return torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available(); }
            catch (Exception) { return false; }
        }
    }

    /// <summary>The device experiments use unless told otherwise.</summary>
    public static torch.Device Default
    {
        get
        {
            TorchRuntime.Initialize();
            var name = overrideName ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(name)) return Parse(name);
            return CudaAvailable ? torch.CUDA : torch.CPU;
        }
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; CUDA must be available.</summary>
    public static torch.Device Parse(string name)
    {
        TorchRuntime.Initialize();
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return torch.CPU;
        if (n == "cuda" || n.StartsWith("cuda:"))
        {
            if (!CudaAvailable)
                throw new ArgumentException(
                    $"Device '{name}' was requested but TorchSharp reports no CUDA device. This build uses the CPU backend; " +
                    "rebuild with -p:TorchBackend=cuda on a machine with a GPU, or use --device cpu.");
            return torch.device(n);
        }
        throw new ArgumentException($"Unknown device '{name}'. Use cpu, cuda or cuda:N.");
    }
}
