using System.Text.RegularExpressions;

namespace LlcLab.Notebooks.Execution;

/// <summary>A cell's source after the kernel directives were handled (line numbers unchanged).</summary>
/// <param name="Code">C# to compile: directive lines the executor handles are blanked, never removed.</param>
/// <param name="Packages">Package ids from <c>#r "nuget: Id, Version"</c>.</param>
/// <param name="DllReferences">Full paths of <c>#r "file.dll"</c> references (left in <paramref name="Code"/> for Roslyn).</param>
/// <param name="Time"><c>#!time</c> was present: report the wall time.</param>
public sealed record PreparedCell(string Code, IReadOnlyList<string> Packages, IReadOnlyList<string> DllReferences, bool Time);

/// <summary>A directive the executor cannot honour; <see cref="Line"/> is cell-relative (1-based).</summary>
public sealed class CellDirectiveException(string message, int line) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// Handles .NET Interactive's cell directives before Roslyn sees the code:
/// <c>#r "nuget: Id, Version"</c> (carried packages only, see <see cref="CarriedPackages"/>),
/// <c>#i "nuget: source"</c> (ignored: nothing is fetched), <c>#!time</c>, <c>#!csharp</c>/<c>#!c#</c>/<c>#!cs</c>;
/// other <c>#!</c> magics are reported as unsupported. <c>#r "path.dll"</c> stays for Roslyn but is
/// checked first (relative to the notebook folder) so a missing file gets a clear message.
/// </summary>
public static partial class CellDirectives
{
    [GeneratedRegex("""^\s*#r\s+"\s*nuget\s*:\s*(?<id>[^,"\s]+)\s*(,\s*(?<ver>[^"]*?))?\s*"\s*$""")]
    private static partial Regex NugetRef();

    [GeneratedRegex("""^\s*#r\s+"(?<path>[^"]+)"\s*$""")]
    private static partial Regex FileRef();

    [GeneratedRegex("""^\s*#i\s+".*"\s*$""")]
    private static partial Regex SourceDirective();

    [GeneratedRegex("""^\s*#!(?<name>\S+)""")]
    private static partial Regex Magic();

    static readonly HashSet<string> CSharpKernelNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", "cs" };

    public static PreparedCell Prepare(string source, string notebookDirectory)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var packages = new List<string>();
        var dlls = new List<string>();
        bool time = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (NugetRef().Match(line) is { Success: true } nuget)
            {
                string id = nuget.Groups["id"].Value;
                try { CarriedPackages.Resolve(id); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw new CellDirectiveException(e.Message, i + 1); }
                packages.Add(id);
                lines[i] = "";
            }
            else if (SourceDirective().IsMatch(line))
            {
                lines[i] = "";
            }
            else if (Magic().Match(line) is { Success: true } magic)
            {
                string name = magic.Groups["name"].Value;
                if (name.Equals("time", StringComparison.OrdinalIgnoreCase)) time = true;
                else if (!CSharpKernelNames.Contains(name))
                    throw new CellDirectiveException(
                        $"the magic command #!{name} is not supported by the headless executor (supported: #!time, #!csharp). " +
                        "Remove it, or move that code into a C# cell.", i + 1);
                lines[i] = "";
            }
            else if (FileRef().Match(line) is { Success: true } file)
            {
                string path = file.Groups["path"].Value;
                if (!LooksLikeFile(path)) continue; // an assembly name: Roslyn resolves it
                string full = Path.GetFullPath(Path.Combine(notebookDirectory, path));
                if (!File.Exists(full))
                {
                    string hint = Path.GetFileName(full).Equals("LlcLab.dll", StringComparison.OrdinalIgnoreCase)
                        ? " Build the library first: dotnet build lib/LlcLab -c Release (llclab reproduce does this for you)."
                        : " Build the project that produces it, or fix the path (relative paths start at the notebook's folder).";
                    throw new CellDirectiveException($"#r \"{path}\": {full} does not exist.{hint}", i + 1);
                }
                dlls.Add(full);
            }
        }
        return new PreparedCell(string.Join("\n", lines), packages, dlls, time);
    }

    static bool LooksLikeFile(string path) =>
        path.Contains('/') || path.Contains('\\') ||
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".exe", StringComparison.OrdinalIgnoreCase);
}
