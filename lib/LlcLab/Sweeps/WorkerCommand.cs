using System.Diagnostics;
using System.Reflection;

namespace LlcLab.Sweeps;

/// <summary>
/// How to start <c>llclab</c> as a worker process: the executable and the arguments before the verb. Local pools and
/// Slurm scripts run <c>{FileName} {Prefix…} sweep worker …</c>, so a worker is a separate process that can be killed
/// without harming anything but its own unfinished cell.
/// </summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary>The CLI whose entry assembly is <paramref name="cli"/>: its apphost when one sits beside it, else <c>dotnet cli.dll</c>.</summary>
    public static WorkerCommand ForAssembly(Assembly cli) => ForDll(cli.Location);

    /// <summary>The CLI at <paramref name="dll"/> (e.g. <c>…/LlcLab.Cli.dll</c>).</summary>
    public static WorkerCommand ForDll(string dll)
    {
        if (!File.Exists(dll)) throw new FileNotFoundException($"The llclab CLI '{dll}' does not exist; build it: dotnet build lib/LlcLab.Cli -c Release", dll);
        dll = Path.GetFullPath(dll);
        string apphost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        if (File.Exists(apphost) && apphost != dll) return new WorkerCommand(apphost, []);
        return new WorkerCommand(DotnetHost(), [dll]);
    }

    /// <summary>The <c>dotnet</c> host: the SDK's <c>DOTNET_HOST_PATH</c>, this process when it is <c>dotnet</c>, else the one on PATH.</summary>
    static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h)) return h;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    /// <summary>A process start for <c>{this} {args…}</c> (no shell; output redirected for the caller to drain).</summary>
    public ProcessStartInfo Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(FileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in Prefix.Concat(args)) psi.ArgumentList.Add(a);
        // One libtorch thread per worker unless asked otherwise: N workers on N cores.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LLCLAB_THREADS"))) psi.Environment["LLCLAB_THREADS"] = "1";
        return psi;
    }

    /// <summary>The command as one shell line (single-quoted words), for Slurm scripts.</summary>
    public string ShellLine(IEnumerable<string> args) => string.Join(" ", new[] { FileName }.Concat(Prefix).Concat(args).Select(Quote));

    /// <summary>POSIX single-quoting.</summary>
    public static string Quote(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
