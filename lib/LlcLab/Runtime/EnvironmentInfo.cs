using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace LlcLab.Runtime;

/// <summary>A snapshot of the software and hardware an experiment ran on (printed by <c>llclab info</c> and the quickstart notebook).</summary>
public sealed record EnvironmentInfo(
    string LlcLab, string TorchSharp, string LibTorch, string DotNet, string Os,
    string Device, string DeviceSource, bool CudaAvailable, int TorchThreads, int ProcessorCount,
    NativeFixStatus NativeFix, string FSharpCore)
{
    public static EnvironmentInfo Collect()
    {
        var fix = TorchRuntime.Initialize();
        var (ts, lt) = TorchRuntime.Versions();
        var device = Devices.Default;
        return new EnvironmentInfo(
            typeof(EnvironmentInfo).Assembly.GetName().Version?.ToString() ?? "?",
            ts, lt, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            device.ToString(), Devices.Source, Devices.CudaAvailable, torch.get_num_threads(), Environment.ProcessorCount, fix, FSharpCoreBridge.Check());
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"LlcLab        {LlcLab}");
        sb.AppendLine($"TorchSharp    {TorchSharp} (libtorch {LibTorch})");
        sb.AppendLine($".NET          {DotNet}");
        sb.AppendLine($"OS            {Os}");
        sb.AppendLine($"device        {Device} ({DeviceSource}; CUDA available: {(CudaAvailable ? "yes" : "no")})");
        sb.AppendLine($"threads       {TorchThreads} torch threads, {ProcessorCount} processors");
        sb.AppendLine($"native fix    {(NativeFix.Applied ? "applied" : NativeFix.Needed ? "NEEDED BUT NOT APPLIED" : "not needed")}");
        sb.AppendLine($"              {NativeFix.Message}");
        sb.Append($"charts        {FSharpCore}");
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
