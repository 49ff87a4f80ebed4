using System.Diagnostics;
using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;

namespace LlcLab.Notebooks.Export;

/// <summary>The outcome of <see cref="Reproducer.Run"/>.</summary>
public sealed record ReproduceResult(string OutputDirectory, string IndexPath, IReadOnlyList<NotebookRunResult> Notebooks, double ElapsedSeconds)
{
    public bool Succeeded => Notebooks.All(n => n.Succeeded);
}

/// <summary>
/// Runs every notebook of a folder in name order into one output folder:
/// <c>&lt;out&gt;/&lt;notebook&gt;.ipynb</c> (executed), <c>&lt;out&gt;/figures/</c> (each chart as offline HTML, and PNG + SVG
/// with chromium), <c>&lt;out&gt;/results/</c> (the tables the notebooks write: passed to them as the
/// environment variable <c>LLCLAB_RESULTS_DIR</c> and, when declared in the parameters cell, as the
/// parameter <c>resultsDir</c>), and <c>&lt;out&gt;/index.html</c> linking everything. In quick mode every
/// notebook that declares a <c>quick</c> parameter gets <c>quick=true</c>.
/// </summary>
public static class Reproducer
{
    public const string ResultsEnvironmentVariable = "LLCLAB_RESULTS_DIR";
    /// <summary>Parameter names that receive the results folder when a notebook declares one.</summary>
    public static readonly string[] ResultsParameterNames = ["resultsDir", "results_dir", "ResultsDir"];
    public const string QuickParameterName = "quick";

    /// <summary>The notebooks of <paramref name="folder"/> in the order they run (file name, ordinal).</summary>
    public static IReadOnlyList<string> NotebooksIn(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.ipynb").Order(StringComparer.Ordinal).ToList()
            : throw new DirectoryNotFoundException($"Notebook folder not found: {folder}");

    /// <summary>The parameters reproduce passes to one notebook (quick mode and the results folder, when declared).</summary>
    public static Dictionary<string, string> ParametersFor(string notebookPath, bool quick, string resultsDir, ICollection<string>? notes = null)
    {
        var declared = NotebookParameters.Declared(NotebookDocument.Load(notebookPath)).Select(p => p.Name).ToHashSet();
        var p = new Dictionary<string, string>();
        if (quick)
        {
            if (declared.Contains(QuickParameterName)) p[QuickParameterName] = "true";
            else notes?.Add($"{Path.GetFileName(notebookPath)} declares no '{QuickParameterName}' parameter: it runs at full size.");
        }
        foreach (var name in ResultsParameterNames.Where(declared.Contains)) p[name] = resultsDir;
        return p;
    }

    public static ReproduceResult Run(string notebooksFolder, string outputDirectory, bool quick, bool renderPng = true, TextWriter? progress = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        progress ??= Console.Error;
        var sw = Stopwatch.StartNew();
        string outDir = Path.GetFullPath(outputDirectory);
        string results = Path.Combine(outDir, "results");
        Directory.CreateDirectory(results);
        NotebookExecutor.EnsureWritable(outDir);
        var runs = new List<NotebookRunResult>();
        var notebooks = NotebooksIn(notebooksFolder);
        if (notebooks.Count == 0) throw new InvalidDataException($"No .ipynb notebooks in {notebooksFolder}.");
        for (int i = 0; i < notebooks.Count; i++)
        {
            var notes = new List<string>();
            var parameters = ParametersFor(notebooks[i], quick, results, notes);
            foreach (var n in notes) progress.WriteLine("note: " + n);
            progress.WriteLine($"=== notebook {i + 1}/{notebooks.Count}: {Path.GetFileName(notebooks[i])}" +
                (parameters.Count == 0 ? "" : " (" + string.Join(", ", parameters.Select(kv => $"{kv.Key}={kv.Value}")) + ")"));
            runs.Add(NotebookExecutor.Run(notebooks[i], new ExecutionOptions(
                Parameters: parameters, OutputDirectory: outDir, ContinueOnError: false, RenderPng: renderPng, Progress: progress,
                EnvironmentVariables: new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { [ResultsEnvironmentVariable] = results })));
        }
        string index = IndexPage.Write(outDir, runs, quick, sw.Elapsed.TotalSeconds);
        progress.WriteLine($"reproduce: {runs.Count(r => r.Succeeded)}/{runs.Count} notebooks ran completely in {sw.Elapsed.TotalSeconds:0.0}s; index: {index}");
        return new ReproduceResult(outDir, index, runs, sw.Elapsed.TotalSeconds);
    }
}
