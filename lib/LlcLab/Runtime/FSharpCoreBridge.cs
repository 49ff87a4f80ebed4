using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace LlcLab.Runtime;

/// <summary>
/// Lets Plotly.NET run inside a .NET Interactive kernel that ships an older FSharp.Core.
///
/// <para><b>The conflict.</b> The <c>dotnet-interactive</c> kernel (1.0.712001) loads its own
/// FSharp.Core 10.0.0.0 into the default load context at start-up (its F# kernel needs it).
/// Plotly.NET 6.0.0, the only version served, is built against FSharp.Core 10.1.0.0. A load
/// context can hold one assembly per name, so when a chart is built the runtime cannot bind
/// 10.1.0.0 and throws <c>FileNotFoundException: FSharp.Core, Version=10.1.0.0</c>.</para>
///
/// <para><b>Routes measured in that kernel</b> (README, "Notebooks on the real kernel"):
/// (1) loading FSharp.Core 10.1 beside 10.0 with <c>Assembly.LoadFrom</c> fails
/// (<c>FileLoadException</c>: the default context already holds a FSharp.Core);
/// (2) loading it into a private load context splits F# types in two: Plotly.NET's own F#
/// dependency Giraffe.ViewEngine binds to the kernel's copy and chart creation fails with
/// <c>MissingMethodException ... FSharpFunc</c>;
/// (3) answering the failed request with the FSharp.Core the process already has — a binding
/// redirect — makes Plotly.NET work, but the notebook's own code still fails on any F#-typed
/// Plotly.NET API (<c>Chart.withTitle</c>): the kernel hands the script the FSharp.Core 10.1 that
/// <c>#r "nuget: Plotly.NET"</c> restored, and loads it as a second copy for the notebook's code;
/// (4) = (3) plus <c>#r "nuget: FSharp.Core, 10.0.115"</c> in the first cell, so the notebook's code
/// is compiled against the kernel's own FSharp.Core line and binds to the loaded copy, and no
/// FSharp.Core file beside LlcLab.dll (LlcLab.csproj keeps it out): one FSharp.Core for everything,
/// every chart of the suite renders as <c>text/html</c>. The suite does (4); this class is its (3).</para>
///
/// <para><b>Why it keeps holding.</b> The handler acts only on a FSharp.Core request the load
/// context could not satisfy, so a kernel that ships FSharp.Core ≥ 10.1 never triggers it, and
/// processes that carry their own FSharp.Core (the CLI, the tests) are untouched. Should a future
/// Plotly.NET call an FSharp.Core API the kernel's copy lacks, <see cref="Check"/> — run by the
/// notebooks' first cell through <see cref="EnvironmentInfo"/> — reports it at once instead of
/// the first chart failing deep in a notebook.</para>
///
/// It installs itself when any LlcLab type is first used (module initializer), like
/// <see cref="TorchRuntime"/>.
/// </summary>
public static class FSharpCoreBridge
{
    const string Name = "FSharp.Core";
    static int installed;
    static volatile string? lastRedirect;

#pragma warning disable CA2255 // a library module initializer is exactly what is needed here
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnModuleLoad() => Install();

    /// <summary>Registers the redirect once per process (idempotent).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    /// <summary>The last redirect done, e.g. <c>FSharp.Core 10.1.0.0 → 10.0.0.0</c>, or null when none was needed.</summary>
    public static string? LastRedirect => lastRedirect;

    /// <summary>The FSharp.Core assemblies this process has loaded (version and file), for reports.</summary>
    public static IReadOnlyList<string> Loaded() =>
        AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == Name)
            .Select(a => $"{a.GetName().Version} ({(string.IsNullOrEmpty(a.Location) ? "in memory" : a.Location)})")
            .ToList();

    static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var wanted = new AssemblyName(args.Name);
        if (!string.Equals(wanted.Name, Name, StringComparison.Ordinal)) return null;
        // Prefer the copy in the default context: that is the one every F# library of the kernel
        // (Giraffe.ViewEngine, DynamicObj, ...) has already bound to, so F# types stay one set.
        var candidates = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == Name)
            .OrderByDescending(a => AssemblyLoadContext.GetLoadContext(a) == AssemblyLoadContext.Default)
            .ThenByDescending(a => a.GetName().Version)
            .ToList();
        if (candidates.Count == 0) return null;
        var chosen = candidates[0];
        lastRedirect = $"{Name} {wanted.Version} → {chosen.GetName().Version}";
        return chosen;
    }

    /// <summary>
    /// One line on the state of FSharp.Core in this process: which copy is loaded, whether a
    /// redirect happened, and whether a small chart, styled through an F#-typed API, renders.
    /// </summary>
    public static string Check()
    {
        var copies = Loaded();
        string loaded = string.Join("; ", copies);
        if (copies.Count > 1)
            loaded += " — TWO COPIES: F# types differ between them and charts built from notebook code fail; " +
                      "pin FSharp.Core to the kernel's version in the first cell (#r \"nuget: FSharp.Core, 10.0.115\")";
        string redirect = LastRedirect is { } r ? $"redirected {r}" : "no redirect needed";
        string chart;
        try { chart = Plots.ChartHtmlProbe.Render() ? "a test chart renders" : "no chart test"; }
        catch (Exception e) when (e is MissingMethodException or TypeLoadException or FileNotFoundException or FileLoadException)
        {
            chart = $"CHARTS WILL FAIL: {e.GetType().Name}: {e.Message}. This kernel's FSharp.Core lacks what Plotly.NET needs; " +
                    "use the kernel pinned in .config/dotnet-tools.json (dotnet tool restore).";
        }
        return $"FSharp.Core: {(loaded.Length == 0 ? "not loaded yet" : loaded)}; {redirect}; {chart}";
    }
}
