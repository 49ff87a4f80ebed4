using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using LlcLab.Notebooks.Display;
using LlcLab.Notebooks.Export;
using LlcLab.Notebooks.Format;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Runs a C# Polyglot notebook headless, the way the .NET Interactive C# kernel does:
/// code cells run in order as chained Roslyn script submissions (<c>CSharpScript.Create</c>, then
/// <c>ContinueWith</c>: variables, usings and references carry over), with the working directory
/// set to the notebook's folder, Console output captured per cell, <c>display()</c>/trailing
/// values rendered (charts as offline HTML), and failures reported with cell and line numbers.
///
/// One notebook runs at a time per process: the working directory and environment variables are
/// process-wide, so runs are serialised by a process-wide lock (callers in parallel simply wait)
/// and restored afterwards. Console output is routed per async flow (<see cref="ConsoleRouter"/>):
/// only writes from the running cell's code land in the cell; other threads of the process keep
/// writing to the real console. Code in other threads does see the notebook's folder as the
/// working directory while a notebook runs (the kernel semantics need it for relative paths).
/// </summary>
public static partial class NotebookExecutor
{
    static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public static NotebookRunResult Run(string path, ExecutionOptions? options = null) =>
        RunAsync(path, options).GetAwaiter().GetResult();

    /// <summary>
    /// Runs the notebook at <paramref name="path"/>. Never throws for failing cells (see
    /// <see cref="NotebookRunResult.Failures"/>); throws for a missing/invalid file or bad parameters.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(string path, ExecutionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ExecutionOptions();
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string dir = Path.GetDirectoryName(full)!;
        var original = Notebook.Load(full);
        var (nb, injected) = NotebookParameters.Inject(original, options.Parameters ?? new Dictionary<string, string>(), name);
        if (injected < 0) nb = nb.Clone();
        var progress = options.Progress ?? Console.Error;
        var total = Stopwatch.StartNew();

        var runs = new List<CellRun>();
        var failures = new List<CellFailure>();
        var notes = new List<string>();
        var charts = new List<(int CellNumber, int Index, object Chart)>();
        int codeCells = nb.Cells.Count(c => c.IsCode);

        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var savedOut = Console.Out;
        var savedErr = Console.Error;
        string savedCwd = Environment.CurrentDirectory;
        var savedEnv = new Dictionary<string, string?>();
        try
        {
            foreach (var (k, v) in options.EnvironmentVariables ?? new Dictionary<string, string>())
            {
                savedEnv[k] = Environment.GetEnvironmentVariable(k);
                Environment.SetEnvironmentVariable(k, v);
            }
            Environment.CurrentDirectory = dir;
            Console.SetOut(new ConsoleRouter("stdout", savedOut));
            Console.SetError(new ConsoleRouter("stderr", savedErr));
            var session = new Session(name, dir, ScriptEnvironment.Create(dir), options.CellTimeout);
            int codeOrdinal = 0, executionCount = 0;
            bool stopped = false;
            for (int i = 0; i < nb.Cells.Count; i++)
            {
                var cell = nb.Cells[i];
                if (!cell.IsCode) continue;
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
                bool isInjected = i == injected;
                if (!isInjected) codeOrdinal++;
                int cellNumber = injected >= 0 && i > injected ? i : i + 1; // numbering of the original notebook
                if (isInjected) cellNumber = injected; // the parameters cell it follows
                if (stopped) continue;

                string label = isInjected ? $"injected parameters (after cell {cellNumber})" : $"cell {cellNumber}/{original.Cells.Count} (code {codeOrdinal})";
                progress.WriteLine($"[{name}] {label} running…");
                var sw = Stopwatch.StartNew();
                var outputs = new CellOutputs();
                int notesBefore = session.Notes.Count;
                var failure = await session.RunCellAsync(cell.Source, cellNumber, codeOrdinal, isInjected, outputs, ++executionCount, cancellationToken).ConfigureAwait(false);
                notes.AddRange(session.Notes.Skip(notesBefore));
                sw.Stop();
                foreach (var o in outputs.Snapshot()) cell.Outputs.Add(o);
                cell.ExecutionCount = executionCount;
                int k = 0;
                foreach (var chart in outputs.Charts) charts.Add((cellNumber, ++k, chart));
                runs.Add(new CellRun(cellNumber, codeOrdinal, isInjected, failure is null, sw.Elapsed.TotalSeconds, cell.Outputs.Count));
                progress.WriteLine($"[{name}] {label} {(failure is null ? "ok" : "FAILED")} in {sw.Elapsed.TotalSeconds:0.00}s (total {total.Elapsed.TotalSeconds:0.0}s)");
                if (failure is not null)
                {
                    failures.Add(failure);
                    progress.WriteLine(failure.ToString());
                    if (!options.ContinueOnError || session.Broken)
                    {
                        stopped = true;
                        notes.Add($"Stopped after the failure; {codeCells - runs.Count} code cell(s) did not run (use --continue-on-error to run them anyway).");
                    }
                }
            }
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedErr);
            Kernel.Current = null;
            try { Environment.CurrentDirectory = savedCwd; } catch (IOException) { }
            foreach (var (k, v) in savedEnv) Environment.SetEnvironmentVariable(k, v);
            Gate.Release();
        }

        string? executedPath = null;
        var chartFiles = new List<string>();
        if (options.OutputDirectory is { } outDir)
        {
            outDir = Path.GetFullPath(outDir);
            Directory.CreateDirectory(outDir);
            string stem = Path.GetFileNameWithoutExtension(name);
            bool png = options.RenderPng && ChromiumRenderer.IsAvailable;
            if (options.RenderPng && !png && charts.Count > 0)
                notes.Add("chromium is not installed: charts were saved as HTML only (no PNG). Install Debian's chromium for PNGs.");
            foreach (var (cellNumber, index, chart) in charts)
            {
                string file = Path.Combine(outDir, "figures", $"{stem}-cell{cellNumber:00}-{index}");
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                WriteAtomic(file + ".html", PlotlyHtml.StandaloneDocument(chart, $"{stem} — cell {cellNumber}, chart {index}"));
                chartFiles.Add(file + ".html");
                if (!png) continue;
                progress.WriteLine($"[{name}] rendering {Path.GetFileName(file)}.png");
                // The PNG is a static figure: render a copy without Plotly's hover toolbar.
                string forPng = file + ".png-source.html";
                WriteAtomic(forPng, PlotlyHtml.StandaloneDocument(chart, "", staticFigure: true));
                try
                {
                    if (ChromiumRenderer.TryRender(forPng, file + ".png", options.ChromiumTimeout) is { } why) notes.Add(why);
                    else chartFiles.Add(file + ".png");
                }
                finally { File.Delete(forPng); }
            }
            executedPath = Path.Combine(outDir, name);
            nb.Save(executedPath);
            Export.NotebookHtml.Write(nb, Path.ChangeExtension(executedPath, ".html"), stem);
        }
        foreach (var n in notes) progress.WriteLine($"[{name}] note: {n}");
        progress.WriteLine($"[{name}] {(failures.Count == 0 && runs.Count == codeCells ? "all cells ran" : $"{failures.Count} failed cell(s)")} in {total.Elapsed.TotalSeconds:0.0}s"
            + (executedPath is null ? "" : $"; executed notebook: {executedPath}"));
        return new NotebookRunResult(full, nb, executedPath, runs, codeCells, failures, chartFiles, notes, total.Elapsed.TotalSeconds);
    }

    static void WriteAtomic(string path, string text)
    {
        string tmp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The chain of submissions of one notebook run.</summary>
    sealed class Session(string notebookName, string directory, ScriptOptions baseOptions, TimeSpan? cellTimeout)
    {
        readonly HashSet<string> checkedReferences = new(StringComparer.Ordinal);

        /// <summary>Things to tell the user (e.g. a referenced DLL shadowed by the host's different copy).</summary>
        public List<string> Notes { get; } = [];

        /// <summary>A cell timed out: its code may still run, so no further cell can be chained.</summary>
        public bool Broken { get; private set; }

        Script<object>? script;
        ScriptState<object>? state;
        readonly List<MetadataReference> extraReferences = [];

        public async Task<CellFailure?> RunCellAsync(string source, int cellNumber, int codeNumber, bool injected,
            CellOutputs outputs, int executionCount, CancellationToken ct)
        {
            CellFailure Fail(int? line, string type, string message, IReadOnlyList<string> diagnostics, bool compile, string? stack)
            {
                var f = new CellFailure(notebookName, cellNumber, codeNumber, injected, line, type, message, diagnostics, compile, stack);
                var trace = new List<string> { f.ToString() };
                if (stack is not null) trace.AddRange(stack.Split('\n').Take(30).Select(l => l.TrimEnd()));
                outputs.Add(NotebookOutputs.Error(compile ? "CompilationError" : type, compile ? string.Join("\n", diagnostics) : message, trace));
                return f;
            }

            PreparedCell prepared;
            try { prepared = CellDirectives.Prepare(source, directory); }
            catch (CellDirectiveException e) { return Fail(e.Line, "DirectiveError", e.Message, [], false, null); }

            foreach (var package in prepared.Packages)
                foreach (var asm in CarriedPackages.Resolve(package))
                    extraReferences.Add(ScriptEnvironment.Reference(asm));
            foreach (var dll in prepared.DllReferences)
            {
                ScriptEnvironment.AddProbeFolder(Path.GetDirectoryName(dll)!);
                if (checkedReferences.Add(dll) && HostCopyCheck.Mismatch(dll) is { } note) Notes.Add(note);
            }

            string file = Path.Combine(directory, injected ? $"{notebookName}.parameters.csx" : $"{notebookName}.cell{cellNumber}.csx");
            var options = baseOptions.WithFilePath(file).AddReferences(extraReferences);
            var next = script is null
                ? CSharpScript.Create<object>(prepared.Code, options)
                : script.ContinueWith<object>(prepared.Code, options);

            var diagnostics = next.Compile(ct);
            var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                var lines = errors.Select(FormatDiagnostic).ToList();
                int firstLine = errors[0].Location.GetLineSpan().StartLinePosition.Line + 1;
                return Fail(firstLine, "CompilationErrorException", errors[0].GetMessage(CultureInfo.InvariantCulture), lines, true, null);
            }
            bool hasValue = HasTrailingValue(next.GetCompilation());

            var sw = Stopwatch.StartNew();
            Exception? exception;
            ConsoleRouter.Cell = outputs;
            Kernel.Current = outputs;
            try
            {
                var previous = state;
                Task<ScriptState<object>> Start() => previous is null
                    ? next.RunAsync(globals: null, catchException: _ => true, cancellationToken: ct)
                    : next.RunFromAsync(previous, catchException: _ => true, cancellationToken: ct);
                // With a time limit the cell runs on a pool thread (its synchronous code would otherwise
                // block this one); the async flow, hence output capture, goes with it.
                var run = cellTimeout is null ? Start() : Task.Run(Start, ct);
                if (cellTimeout is { } limit && await Task.WhenAny(run, Task.Delay(limit, ct)).ConfigureAwait(false) != run)
                {
                    Broken = true;
                    return Fail(null, typeof(TimeoutException).FullName!,
                        $"the cell did not finish within {limit.TotalSeconds:0.#} s; the run stops here (raise the limit, or use quick=true).",
                        [], false, null);
                }
                state = await run.ConfigureAwait(false);
                script = next;
                exception = state.Exception;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                exception = e; // e.g. an assembly that cannot be loaded, before the cell's code starts
            }
            finally
            {
                ConsoleRouter.Cell = null;
                Kernel.Current = null;
            }
            sw.Stop();

            if (exception is null && hasValue)
            {
                try
                {
                    var formatted = OutputFormatter.Format(state!.ReturnValue);
                    outputs.Add(NotebookOutputs.ExecuteResult(formatted.Data, executionCount), formatted.Chart);
                }
                catch (Exception e) { exception = e; }
            }
            if (prepared.Time)
                outputs.Add(NotebookOutputs.Stream("stdout", $"Wall time: {sw.Elapsed.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture)}ms\n"));
            if (exception is null) return null;

            var inner = Unwrap(exception);
            string message = inner.Message;
            if (inner is TypeLoadException or MissingMemberException or FileLoadException && Notes.Count > 0)
                message += " — " + string.Join(" ", Notes);
            return Fail(CellLine(exception, file) ?? CellLine(inner, file), inner.GetType().FullName ?? inner.GetType().Name,
                message, [], false, inner.ToString());
        }

        /// <summary>True when the submission ends in an expression without ';' whose type is not void (the kernel shows its value).</summary>
        static bool HasTrailingValue(Compilation compilation)
        {
            var tree = compilation.SyntaxTrees.LastOrDefault();
            if (tree?.GetRoot() is not Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax root) return false;
            if (root.Members.LastOrDefault() is not Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax
                { Statement: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement })
                return false;
            var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
            return type is not null && type.SpecialType != SpecialType.System_Void;
        }

        static string FormatDiagnostic(Diagnostic d)
        {
            var pos = d.Location.GetLineSpan().StartLinePosition;
            return $"(line {pos.Line + 1}, col {pos.Character + 1}): {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
        }
    }

    static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException or AggregateException or TypeInitializationException && e.InnerException is not null)
            e = e.InnerException!;
        return e;
    }

    [GeneratedRegex(@" in (?<file>.+?):line (?<line>\d+)")]
    private static partial Regex StackLine();

    /// <summary>The innermost line of the cell's own code on the exception's stack (cell-relative, 1-based).</summary>
    static int? CellLine(Exception e, string cellFile)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            foreach (Match m in StackLine().Matches(x.StackTrace ?? ""))
                if (m.Groups["file"].Value == cellFile) return int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }
}
