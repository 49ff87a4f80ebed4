using System.Diagnostics;
using System.Text.Json.Nodes;

namespace LlcLab.Notebooks.Kernel;

/// <summary>
/// How to start the real .NET Interactive kernel: the <c>dotnet-interactive</c> tool pinned in the
/// repository's local tool manifest (<c>.config/dotnet-tools.json</c>), run as
/// <c>dotnet tool run dotnet-interactive -- stdio --working-dir &lt;notebook folder&gt;</c> from the folder
/// that holds the manifest — the same kernel VS Code's Polyglot Notebooks launches.
/// <para>Override with <c>LLCLAB_KERNEL</c>: a whole command line (e.g. <c>dotnet-interactive</c> for a
/// globally installed tool); <c>stdio --working-dir DIR</c> is appended.</para>
/// </summary>
public sealed record KernelLauncher(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory, string Description)
{
    public const string OverrideVariable = "LLCLAB_KERNEL";
    public const string ToolPackage = "microsoft.dotnet-interactive";
    public const string ToolCommand = "dotnet-interactive";

    /// <summary>The launcher for a notebook in <paramref name="notebookFolder"/>.</summary>
    /// <exception cref="InvalidOperationException">No manifest pins the tool (with the command that fixes it).</exception>
    public static KernelLauncher For(string notebookFolder)
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } custom)
        {
            var parts = custom.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new KernelLauncher(parts[0], parts[1..], notebookFolder, $"{custom} (from {OverrideVariable})");
        }
        var manifest = FindManifest(notebookFolder) ?? FindManifest(Environment.CurrentDirectory) ?? FindManifest(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException(
                $"No local tool manifest (.config/dotnet-tools.json) pinning {ToolPackage} was found above {notebookFolder} or the current folder. " +
                $"Run the notebooks from inside the LlcNotebooks repository after 'dotnet tool restore', or set {OverrideVariable} to the kernel command.");
        string root = Path.GetDirectoryName(Path.GetDirectoryName(manifest)!)!;
        return new KernelLauncher("dotnet", ["tool", "run", ToolCommand, "--"], root, $"{ToolPackage} {PinnedVersion(manifest) ?? "?"} (pinned in {manifest})");
    }

    /// <summary>The tool version the manifest pins, or null.</summary>
    public static string? PinnedVersion(string manifestPath)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(manifestPath));
            return root?["tools"]?[ToolPackage]?["version"]?.GetValue<string>();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException) { return null; }
    }

    /// <summary>The nearest <c>.config/dotnet-tools.json</c> at or above <paramref name="start"/> that lists the tool.</summary>
    public static string? FindManifest(string start)
    {
        for (var d = new DirectoryInfo(Path.GetFullPath(start)); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, ".config", "dotnet-tools.json");
            if (File.Exists(candidate) && PinnedVersion(candidate) is not null) return candidate;
        }
        return null;
    }

    /// <summary>A process start for the kernel in stdio mode, its working directory set to <paramref name="notebookFolder"/>.</summary>
    public ProcessStartInfo StartInfo(string notebookFolder, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(FileName)
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        foreach (var a in Arguments) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "stdio", "--working-dir", Path.GetFullPath(notebookFolder) }) psi.ArgumentList.Add(a);
        // No telemetry banner or first-run text on the protocol stream.
        psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }
}
