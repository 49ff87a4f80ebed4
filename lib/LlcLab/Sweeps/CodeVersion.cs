using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace LlcLab.Sweeps;

/// <summary>
/// The version of the code that computes a cell, part of every cell's identity (<see cref="CellId"/>): the LlcLab
/// assembly's informational version, which the .NET SDK stamps with the git commit (<c>0.1.0+&lt;sha&gt;</c>), and —
/// when the library runs from a git checkout — a digest of uncommitted changes under <c>lib/</c> (<c>.dirty-&lt;digest&gt;</c>),
/// so an edited but uncommitted protocol never reuses the shards of the committed one. Computed once per process.
/// </summary>
public static class CodeVersion
{
    static readonly Lazy<string> current = new(Compute);

    /// <summary>This process's code version.</summary>
    public static string Current => current.Value;

    static string Compute()
    {
        var asm = typeof(CodeVersion).Assembly;
        string version = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                         ?? asm.GetName().Version?.ToString() ?? "0";
        var root = FindRepository(AppContext.BaseDirectory) ?? FindRepository(Path.GetDirectoryName(asm.Location) ?? "");
        if (root is null) return version;
        if (!version.Contains('+') && Git(root, "rev-parse", "HEAD") is { Length: > 0 } sha) version += "+" + sha.Trim();
        // Uncommitted work under lib/: tracked changes (the diff) and new files (their names and contents).
        var dirty = new StringBuilder(Git(root, "diff", "HEAD", "--", "lib") ?? "");
        foreach (var file in (Git(root, "ls-files", "--others", "--exclude-standard", "--", "lib") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
        {
            var full = Path.Combine(root, file);
            if (File.Exists(full)) dirty.Append('\n').Append(file).Append('\n').Append(File.ReadAllText(full));
        }
        if (dirty.Length > 0) version += ".dirty-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dirty.ToString())))[..12];
        return version;
    }

    /// <summary>The folder holding <c>.git</c> (a folder, or a worktree's file) at or above <paramref name="start"/>, if any.</summary>
    static string? FindRepository(string start)
    {
        for (var d = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, ".git")) || File.Exists(Path.Combine(d.FullName, ".git"))) return d.FullName;
        return null;
    }

    /// <summary>Output of a git command, or null when git is missing or fails (a version without git is still valid).</summary>
    static string? Git(string root, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is null) return null;
            var stdout = p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? stdout.Result : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
