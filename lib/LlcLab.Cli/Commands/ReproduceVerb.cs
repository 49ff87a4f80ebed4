using System.CommandLine;
using System.Diagnostics;
using LlcLab.Notebooks.Export;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab reproduce [--quick] [--out DIR]</c>: builds the library the notebooks reference
/// (<c>lib/LlcLab/bin/Release/net10.0/LlcLab.dll</c>) when it is missing or older than its sources,
/// then runs every notebook in <c>notebooks/</c> in name order and writes executed notebooks,
/// figures, result tables and an index.html under one folder.
/// </summary>
public sealed class ReproduceVerb : IVerb
{
    public int Order => 90;

    public Command Build()
    {
        var quick = new Option<bool>("--quick") { Description = "Pass quick=true to every notebook (small settings: checks that everything runs, in minutes)." };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default: out/reproduce in the repository)." };
        var noPng = new Option<bool>("--no-png") { Description = "Do not render charts to PNG and SVG (HTML only)." };
        var cmd = new Command("reproduce", "Run every notebook in notebooks/ and write all figures, executed notebooks and result tables with an index.html.")
        {
            quick, outDir, noPng,
        };
        return cmd.WithAction(r =>
        {
            string root = RepoPaths.Root();
            EnsureLibraryBuilt(root);
            string output = r.GetValue(outDir) ?? Path.Combine(root, "out", "reproduce");
            var result = Reproducer.Run(RepoPaths.NotebooksFolder(), output, r.GetValue(quick), renderPng: !r.GetValue(noPng),
                environment: NotebooksVerb.KernelEnvironment());
            Console.WriteLine($"{(result.Succeeded ? "Reproduced" : "FAILED to reproduce")}: {result.Notebooks.Count(n => n.Succeeded)}/{result.Notebooks.Count} notebooks. Open {result.IndexPath}");
            return result.Succeeded ? 0 : 1;
        });
    }

    /// <summary>The notebooks #r the Release build of lib/LlcLab; build it when missing or stale.</summary>
    internal static void EnsureLibraryBuilt(string root)
    {
        string project = Path.Combine(root, "lib", "LlcLab");
        string dll = Path.Combine(project, "bin", "Release", "net10.0", "LlcLab.dll");
        DateTime newestSource = Directory.EnumerateFiles(project, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
        if (File.Exists(dll) && File.GetLastWriteTimeUtc(dll) >= newestSource) return;
        Console.Error.WriteLine(File.Exists(dll)
            ? $"reproduce: {dll} is older than its sources; rebuilding: dotnet build lib/LlcLab -c Release"
            : $"reproduce: {dll} not found; building: dotnet build lib/LlcLab -c Release");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        foreach (var a in new[] { "build", "lib/LlcLab", "-c", "Release", "-nologo", "-v", "quiet" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("Could not start 'dotnet build'.");
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(dll))
            throw new InvalidOperationException($"Building lib/LlcLab failed (exit code {p.ExitCode}); fix the build, then rerun: dotnet build lib/LlcLab -c Release");
    }
}
