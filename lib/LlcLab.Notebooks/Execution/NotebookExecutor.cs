using System.Diagnostics;
using System.Text.RegularExpressions;
using LlcLab.Notebooks.Export;
using LlcLab.Notebooks.Format;
using LlcLab.Notebooks.Kernel;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Events;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Runs a C# Polyglot notebook on the real .NET Interactive kernel — the <c>dotnet-interactive</c>
/// tool pinned in <c>.config/dotnet-tools.json</c>, in its own process (<see cref="KernelConnection"/>)
/// — cell by cell, as VS Code does: one kernel per notebook, started in the notebook's folder, every
/// code cell submitted in order. What the kernel returns becomes the cell's outputs (nbformat
/// <c>display_data</c>, <c>execute_result</c>, <c>stream</c>, <c>error</c>). Plotly charts are re-drawn
/// offline (<see cref="PlotlyChart"/>; plotly.js once per notebook) and exported as figure files.
/// <para>Parameters (<c>-p name=value</c>) go into a cell injected after the one tagged
/// <c>parameters</c>. The first failing cell stops the run (unless <see cref="ExecutionOptions.ContinueOnError"/>)
/// and is reported by number and first line; a cell over its time limit is stopped by killing the kernel.</para>
/// </summary>
public static partial class NotebookExecutor
{
    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public static NotebookRunResult Run(string path, ExecutionOptions? options = null) =>
        RunAsync(path, options).GetAwaiter().GetResult();

    /// <summary>
    /// Runs the notebook at <paramref name="path"/>. Never throws for failing cells (see
    /// <see cref="NotebookRunResult.Failures"/>); throws for a missing/invalid file, bad parameters,
    /// an output folder that cannot be written, or a kernel that cannot start.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(string path, ExecutionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ExecutionOptions();
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string dir = Path.GetDirectoryName(full)!;
        var original = NotebookDocument.Load(full);
        var (nb, injected) = NotebookParameters.Inject(original, options.Parameters ?? new Dictionary<string, string>(), name);
        if (injected < 0) nb = NotebookDocument.Clone(nb);
        string? outDir = options.OutputDirectory is { } o ? Path.GetFullPath(o) : null;
        if (outDir is not null) EnsureWritable(outDir); // before any work: a typo must not cost a run
        var progress = options.Progress ?? Console.Error;
        var launcher = KernelLauncher.For(dir);
        var total = Stopwatch.StartNew();

        var runs = new List<CellRun>();
        var failures = new List<CellFailure>();
        var notes = new List<string>();
        var charts = new List<(int CellNumber, int Index, PlotlyChart Chart)>();
        int codeCells = nb.Elements.Count(c => c.IsCode());

        progress.WriteLine($"[{name}] starting kernel: {launcher.Description}");
        var kernel = await KernelConnection.StartAsync(launcher, dir, options.EnvironmentVariables,
            options.KernelStartTimeout ?? TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        try
        {
            int codeOrdinal = 0, executionCount = 0, cellNumber = 0;
            InteractiveDocumentElement? firstCode = null;
            for (int i = 0; i < nb.Elements.Count; i++)
            {
                var cell = nb.Elements[i];
                bool isInjected = i == injected;
                if (!isInjected) cellNumber++;
                if (!cell.IsCode()) continue;
                firstCode ??= cell;
                codeOrdinal++;
                cell.Outputs.Clear();
                string firstLine = FirstLine(cell.Contents);
                string label = isInjected ? "injected parameters" : $"cell {cellNumber} (code {codeOrdinal}/{codeCells})";
                progress.WriteLine($"[{name}] {label} «{firstLine}» running…");
                var sw = Stopwatch.StartNew();
                var outputs = new CellOutputs();
                CellFailure? failure = null;
                try
                {
                    var result = await kernel.SubmitAsync(cell.Contents, options.CellTimeout, outputs.Add, cancellationToken).ConfigureAwait(false);
                    executionCount++;
                    if (result.Failure is { } f) failure = Describe(name, cellNumber, codeOrdinal, isInjected, firstLine, f, result.Events);
                }
                catch (TimeoutException e) { failure = Stopped(name, cellNumber, codeOrdinal, isInjected, firstLine, "Timeout", e.Message); }
                catch (KernelExitedException e) { failure = Stopped(name, cellNumber, codeOrdinal, isInjected, firstLine, "KernelExited", e.Message); }
                cell.ExecutionOrder = executionCount;
                int k = 0;
                foreach (var output in outputs.Elements(executionCount, failure))
                {
                    if (Html(output) is { } html && PlotlyChart.TryParse(html) is { } chart)
                    {
                        SetHtml(output, chart.NotebookOutputHtml());
                        charts.Add((cellNumber, ++k, chart));
                    }
                    cell.Outputs.Add(output);
                }
                runs.Add(new CellRun(cellNumber, codeOrdinal, isInjected, failure is null, sw.Elapsed.TotalSeconds, cell.Outputs.Count));
                progress.WriteLine($"[{name}] {label} {(failure is null ? "ok" : "FAILED")} in {sw.Elapsed.TotalSeconds:0.00}s (total {total.Elapsed.TotalSeconds:0.0}s)");
                if (failure is null) continue;
                failures.Add(failure);
                progress.WriteLine(failure.ToString());
                if (!options.ContinueOnError || kernel.HasExited)
                {
                    if (codeOrdinal < codeCells) notes.Add($"Stopped after the failure in cell {cellNumber}: {codeCells - codeOrdinal} later code cell(s) did not run.");
                    break;
                }
            }
            // plotly.js once per notebook, as the first output of the first code cell (rendered first).
            if (charts.Count > 0 && firstCode is not null)
                firstCode.Outputs.Insert(0, new DisplayElement(new Dictionary<string, object> { ["text/html"] = PlotlyJs.NotebookLibraryOutput() }));
        }
        finally { kernel.Dispose(); }

        string? executedPath = null;
        var chartFiles = new List<string>();
        if (outDir is not null)
        {
            string stem = Path.GetFileNameWithoutExtension(name);
            foreach (var (cellNumber, index, chart) in charts)
            {
                string file = Path.Combine(outDir, "figures", $"{stem}-cell{cellNumber:00}-{index}");
                if (options.RenderPng) progress.WriteLine($"[{name}] exporting {Path.GetFileName(file)} (html, png, svg)");
                var (files, why) = FigureExport.Write(chart, file, $"{stem} — cell {cellNumber}, chart {index}", options.RenderPng, options.ChromiumTimeout);
                chartFiles.AddRange(files);
                foreach (var n in why) if (!notes.Contains(n)) notes.Add(n);
            }
            executedPath = Path.Combine(outDir, name);
            NotebookDocument.Save(nb, executedPath);
            NotebookHtml.Write(nb, injected, Path.ChangeExtension(executedPath, ".html"), stem);
        }
        foreach (var n in notes) progress.WriteLine($"[{name}] note: {n}");
        progress.WriteLine($"[{name}] {(failures.Count == 0 && runs.Count == codeCells ? "all cells ran" : $"{failures.Count} failed cell(s)")} in {total.Elapsed.TotalSeconds:0.0}s"
            + (executedPath is null ? "" : $"; executed notebook: {executedPath}"));
        return new NotebookRunResult(full, nb, executedPath, runs, codeCells, failures, chartFiles, notes, total.Elapsed.TotalSeconds);
    }

    /// <summary>Creates the folder and proves a file can be written there; else a clear error naming the folder.</summary>
    public static void EnsureWritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".llclab-write-test.{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Cannot write to the output folder {folder}: {e.Message}. Choose another folder with --out.", e);
        }
    }

    static string FirstLine(string code)
    {
        foreach (var raw in code.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            return line.Length > 80 ? line[..77] + "…" : line;
        }
        return "";
    }

    static string? Html(InteractiveDocumentOutputElement o) => o switch
    {
        DisplayElement d when d.Data.TryGetValue("text/html", out var h) => h?.ToString(),
        ReturnValueElement r when r.Data.TryGetValue("text/html", out var h) => h?.ToString(),
        _ => null,
    };

    static void SetHtml(InteractiveDocumentOutputElement o, string html)
    {
        var data = o switch { DisplayElement d => d.Data, ReturnValueElement r => r.Data, _ => null };
        if (data is null) return;
        data["text/html"] = html;
        data.Remove("text/plain"); // the chart's ToString() adds nothing a reader needs
    }

    [GeneratedRegex(@"^\((?<line>\d+),(?<col>\d+)\):\s*error\s+(?<code>\w+):", RegexOptions.Multiline)]
    private static partial Regex CompileError();

    [GeneratedRegex(@"^(?<type>[A-Za-z_][\w.]*(Exception|Error))(:|\s|$)")]
    private static partial Regex ExceptionHead();

    static CellFailure Describe(string nb, int cellNumber, int codeOrdinal, bool injected, string firstLine, CommandFailed f, IReadOnlyList<KernelEvent> events)
    {
        string message = f.Message ?? f.Exception?.Message ?? "the kernel reported a failure";
        var diagnostics = events.OfType<DiagnosticsProduced>()
            .SelectMany(d => d.Diagnostics)
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            .Select(d => $"({d.LinePositionSpan.Start.Line + 1},{d.LinePositionSpan.Start.Character + 1}): error {d.Code}: {d.Message}")
            .Distinct()
            .ToList();
        var compile = CompileError().Match(message);
        if (diagnostics.Count > 0 || compile.Success)
        {
            if (diagnostics.Count == 0) diagnostics = message.Split('\n').Where(l => CompileError().IsMatch(l.Trim())).Select(l => l.Trim()).ToList();
            int? line = compile.Success ? int.Parse(compile.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
            return new CellFailure(nb, cellNumber, codeOrdinal, injected, line, "CompilationError", message, diagnostics, true, null, firstLine);
        }
        var lines = message.Split('\n');
        var head = ExceptionHead().Match(lines[0].Trim());
        string type = head.Success ? head.Groups["type"].Value : "Error";
        string text = head.Success ? lines[0].Trim()[head.Groups["type"].Length..].TrimStart(':', ' ') : lines[0].Trim();
        string? stack = lines.Length > 1 ? string.Join("\n", lines.Skip(1)).Trim() : null;
        return new CellFailure(nb, cellNumber, codeOrdinal, injected, null, type, text, [], false, stack, firstLine);
    }

    static CellFailure Stopped(string nb, int cellNumber, int codeOrdinal, bool injected, string firstLine, string kind, string message) =>
        new(nb, cellNumber, codeOrdinal, injected, null, kind, message, [], false, null, firstLine);
}
