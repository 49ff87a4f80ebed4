using Microsoft.DotNet.Interactive.Documents;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Why a cell failed. <see cref="CellNumber"/> counts every cell of the original notebook from 1
/// (markdown included, as VS Code shows them); <see cref="CodeCellNumber"/> counts code cells only.
/// <see cref="Line"/> is relative to the cell's first line (1-based) when known.
/// </summary>
public sealed record CellFailure(
    string Notebook, int CellNumber, int CodeCellNumber, bool InjectedParameters, int? Line,
    string ExceptionType, string Message, IReadOnlyList<string> Diagnostics, bool IsCompileError, string? StackTrace,
    string FirstLine = "")
{
    /// <summary>One readable paragraph: where (cell number and first line), what, and the compiler diagnostics when any.</summary>
    public override string ToString()
    {
        string where = InjectedParameters
            ? $"{Notebook}: injected parameters cell (after cell {CellNumber})"
            : $"{Notebook}: cell {CellNumber} (code cell {CodeCellNumber})";
        if (FirstLine.Length > 0) where += $" «{FirstLine}»";
        if (Line is int l) where += $", line {l}";
        string head = IsCompileError ? $"{where}: compilation failed" : $"{where}: {ExceptionType}: {Message}";
        return Diagnostics.Count == 0 ? head : head + "\n" + string.Join("\n", Diagnostics.Select(d => "  " + d));
    }
}

/// <summary>One executed code cell.</summary>
public sealed record CellRun(int CellNumber, int CodeCellNumber, bool InjectedParameters, bool Succeeded, double ElapsedSeconds, int Outputs);

/// <summary>The outcome of running a notebook.</summary>
/// <param name="NotebookPath">The notebook that ran.</param>
/// <param name="Executed">The executed notebook (outputs filled in; valid Polyglot notebook).</param>
/// <param name="ExecutedPath">Where it was written, when an output folder was given.</param>
/// <param name="Cells">The code cells that ran, in order.</param>
/// <param name="CodeCellCount">Code cells in the notebook (including an injected parameters cell).</param>
/// <param name="Failures">Failed cells (at most one unless continuing on error).</param>
/// <param name="ChartFiles">Standalone chart files written (HTML, and PNG + SVG when rendered).</param>
/// <param name="Notes">Things the user should know (e.g. PNG export skipped).</param>
public sealed record NotebookRunResult(
    string NotebookPath, InteractiveDocument Executed, string? ExecutedPath, IReadOnlyList<CellRun> Cells, int CodeCellCount,
    IReadOnlyList<CellFailure> Failures, IReadOnlyList<string> ChartFiles, IReadOnlyList<string> Notes, double ElapsedSeconds)
{
    /// <summary>Every code cell ran without an error.</summary>
    public bool Succeeded => Failures.Count == 0 && Cells.Count == CodeCellCount && Cells.All(c => c.Succeeded);
}

/// <summary>How to run a notebook.</summary>
/// <param name="Parameters">Overrides for the <c>parameters</c> cell (<c>-p name=value</c>).</param>
/// <param name="OutputDirectory">Where to write the executed notebook and charts (null: write nothing).</param>
/// <param name="ContinueOnError">Keep running after a failed cell (default: stop).</param>
/// <param name="RenderPng">Render each chart to PNG and SVG with headless chromium when it is installed.</param>
/// <param name="Progress">Progress lines (default: standard error as it was before the run).</param>
/// <param name="EnvironmentVariables">Added to the kernel process's environment.</param>
/// <param name="ChromiumTimeout">Per-chart image export limit.</param>
/// <param name="CellTimeout">Fail a cell that runs longer: the kernel process is killed (which really stops
/// the cell) and the run ends there. Null: no limit.</param>
/// <param name="KernelStartTimeout">How long the kernel may take to start (default 120 s).</param>
public sealed record ExecutionOptions(
    IReadOnlyDictionary<string, string>? Parameters = null,
    string? OutputDirectory = null,
    bool ContinueOnError = false,
    bool RenderPng = true,
    TextWriter? Progress = null,
    IReadOnlyDictionary<string, string>? EnvironmentVariables = null,
    TimeSpan? ChromiumTimeout = null,
    TimeSpan? CellTimeout = null,
    TimeSpan? KernelStartTimeout = null);
