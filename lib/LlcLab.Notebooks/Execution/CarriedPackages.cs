namespace LlcLab.Notebooks.Execution;

/// <summary>
/// The NuGet packages a notebook may <c>#r "nuget: …"</c>: the executor carries their assemblies
/// (it references the same packages), so they resolve offline to the copies the host process
/// already loads. <c>Plotly.NET.Interactive</c> and <c>Microsoft.DotNet.Interactive</c> map to
/// nothing: notebooks reference them so charts render in VS Code, and the executor renders
/// charts itself. Any other package is an error naming it.
/// </summary>
public static class CarriedPackages
{
    static readonly string[] PlotlyClosure = ["Plotly.NET", "FSharp.Core", "DynamicObj", "Giraffe.ViewEngine"];

    /// <summary>Package id (case-insensitive) → assemblies it contributes (with public dependencies).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Map = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["TorchSharp-cpu"] = ["TorchSharp"],
        ["TorchSharp"] = ["TorchSharp"],
        ["Plotly.NET"] = PlotlyClosure,
        ["Plotly.NET.CSharp"] = ["Plotly.NET.CSharp", .. PlotlyClosure],
        ["MathNet.Numerics"] = ["MathNet.Numerics"],
        ["Plotly.NET.Interactive"] = [],
        ["Microsoft.DotNet.Interactive"] = [],
    };

    /// <summary>Full paths of the assemblies for <paramref name="packageId"/>.</summary>
    /// <exception cref="ArgumentException">The package is not carried (the message lists the carried ones).</exception>
    public static IReadOnlyList<string> Resolve(string packageId)
    {
        if (!Map.TryGetValue(packageId, out var names))
            throw new ArgumentException(
                $"#r \"nuget: {packageId}\": the headless executor cannot download packages and does not carry '{packageId}'. " +
                $"Carried packages: {string.Join(", ", Map.Keys.Order(StringComparer.OrdinalIgnoreCase))}. " +
                "Reference a built DLL with #r \"path/to/Assembly.dll\" instead, or add the package to lib/LlcLab.Notebooks.");
        return names.Select(n => AssemblyPath(n) ?? throw new InvalidOperationException(
            $"#r \"nuget: {packageId}\": the executor should carry {n}.dll but it was found neither among the process's trusted assemblies nor in {AppContext.BaseDirectory}. Rebuild the CLI/tests.")).ToList();
    }

    /// <summary>The path of an assembly the host can load by simple name: trusted platform assemblies, then the app folder, then loaded assemblies.</summary>
    public static string? AssemblyPath(string simpleName)
    {
        string file = simpleName + ".dll";
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (var p in tpa.Split(Path.PathSeparator))
                if (string.Equals(Path.GetFileName(p), file, StringComparison.OrdinalIgnoreCase) && File.Exists(p)) return p;
        string local = Path.Combine(AppContext.BaseDirectory, file);
        if (File.Exists(local)) return local;
        return AppDomain.CurrentDomain.GetAssemblies()
            .FirstOrDefault(a => !a.IsDynamic && string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase) && a.Location.Length > 0)
            ?.Location;
    }
}
