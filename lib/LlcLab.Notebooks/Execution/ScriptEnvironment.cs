using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// The Roslyn script options a notebook runs with, matching the .NET Interactive C# kernel:
/// the whole shared framework referenced, the kernel's default <c>using</c>s, <c>display</c>/<c>Display()</c>,
/// <c>#r</c> paths relative to the notebook folder, debug information (cell-relative line numbers in
/// stack traces).
/// </summary>
internal static class ScriptEnvironment
{
    /// <summary>Namespaces (and the static <c>Kernel</c> class) every cell sees.</summary>
    public static readonly string[] DefaultImports =
    [
        "System", "System.Collections", "System.Collections.Generic", "System.IO", "System.Linq",
        "System.Text", "System.Threading", "System.Threading.Tasks", "System.Globalization",
        "LlcLab.Notebooks.Display", "LlcLab.Notebooks.Display.Kernel",
    ];

    static readonly Lazy<IReadOnlyList<MetadataReference>> Framework = new(LoadFramework);
    static readonly ConcurrentDictionary<string, MetadataReference> FileReferences = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<string, byte> ProbeFolders = new(StringComparer.Ordinal);
    static int resolvingHooked;

    public static ScriptOptions Create(string notebookDirectory) =>
        ScriptOptions.Default
            .WithReferences(Framework.Value)
            .WithImports(DefaultImports)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(notebookDirectory))
            .WithSourceResolver(new SourceFileResolver([], notebookDirectory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithAllowUnsafe(true)
            .WithCheckOverflow(false);

    /// <summary>A cached metadata reference to an assembly file (Roslyn reuses its metadata across notebooks).</summary>
    public static MetadataReference Reference(string path) =>
        FileReferences.GetOrAdd(path, p => MetadataReference.CreateFromFile(p));

    /// <summary>
    /// Lets the default load context find the dependencies of a <c>#r</c>'d DLL in that DLL's folder
    /// (Roslyn loads such a DLL in its own context; this covers dependencies requested through the
    /// default context, e.g. by assemblies the host already loaded).
    /// </summary>
    public static void AddProbeFolder(string folder)
    {
        ProbeFolders.TryAdd(folder, 0);
        if (Interlocked.Exchange(ref resolvingHooked, 1) == 0)
            AssemblyLoadContext.Default.Resolving += (ctx, name) =>
            {
                foreach (var dir in ProbeFolders.Keys)
                {
                    var candidate = Path.Combine(dir, name.Name + ".dll");
                    if (File.Exists(candidate)) return ctx.LoadFromAssemblyPath(candidate);
                }
                return null;
            };
    }

    static IReadOnlyList<MetadataReference> LoadFramework()
    {
        // Every managed assembly of the shared framework this process runs on (System.*, netstandard,
        // mscorlib, Microsoft.CSharp, Microsoft.VisualBasic…), like the kernel, plus this executor (display).
        string runtimeDir = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
        var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var refs = tpa
            .Where(p => Path.GetFullPath(p).StartsWith(runtimeDir, StringComparison.Ordinal))
            .Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "netstandard.dll" or "mscorlib.dll" or "Microsoft.CSharp.dll" or "Microsoft.VisualBasic.dll" or "Microsoft.Win32.Primitives.dll"))
            .Where(IsManaged)
            .Select(Reference)
            .ToList();
        if (refs.Count == 0) // unusual hosts: fall back to Roslyn's defaults plus the core library
            refs.AddRange(ScriptOptions.Default.MetadataReferences.Append(Reference(typeof(object).Assembly.Location)));
        refs.Add(Reference(typeof(ScriptEnvironment).Assembly.Location));
        return refs;
    }

    static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
