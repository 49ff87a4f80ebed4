using System.CommandLine;
using LlcLab.Notebooks.Execution;
using LlcLab.Notebooks.Format;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab notebooks run|validate</c>: runs notebooks on the real .NET Interactive kernel (the
/// dotnet-interactive tool pinned in .config/dotnet-tools.json, through lib/LlcLab.Notebooks), or checks their format.
/// </summary>
public sealed class NotebooksVerb : IVerb
{
    public int Order => 70;

    public Command Build()
    {
        var cmd = new Command("notebooks", "Run Polyglot (.NET Interactive) C# notebooks on the pinned dotnet-interactive kernel, or check their format.");
        cmd.Subcommands.Add(BuildRun());
        cmd.Subcommands.Add(BuildValidate());
        return cmd;
    }

    static Argument<string[]> PathsArgument() => new("paths")
    {
        Description = "Notebook files or folders (default: the repository's notebooks/ folder).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    static Command BuildRun()
    {
        var paths = PathsArgument();
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description = "Override a variable of the cell tagged 'parameters': -p name=value (repeatable), e.g. -p quick=true.",
            AllowMultipleArgumentsPerToken = false,
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "Folder for executed notebooks and charts (default: out/ beside each notebook).",
        };
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failure." };
        var noPng = new Option<bool>("--no-png") { Description = "Do not render charts to PNG and SVG (HTML only)." };
        var cellTimeout = new Option<double?>("--cell-timeout") { Description = "Stop a cell that runs longer than this many seconds: the kernel is killed and the run fails, naming the cell (default: no limit)." };
        var cmd = new Command("run", "Run notebooks cell by cell on the real kernel; write executed notebooks (outputs included) and charts (offline HTML; PNG and SVG with chromium). Exit code 0 only if every cell ran.")
        {
            paths, parameters, outDir, continueOnError, noPng, cellTimeout,
        };
        return cmd.WithAction(r =>
        {
            var p = ParseParameters(r.GetValue(parameters) ?? []);
            var files = Expand(r.GetValue(paths) ?? []);
            if (r.GetValue(cellTimeout) is double t && !(t > 0))
                throw new ArgumentException($"--cell-timeout must be a positive number of seconds, got {t}.");
            // Check every output folder before the first cell runs: a typo must not cost a run.
            foreach (var file in files) NotebookExecutor.EnsureWritable(OutFor(file, r.GetValue(outDir)));
            int failed = 0;
            foreach (var file in files)
            {
                var result = NotebookExecutor.Run(file, new ExecutionOptions(
                    Parameters: p, OutputDirectory: OutFor(file, r.GetValue(outDir)), ContinueOnError: r.GetValue(continueOnError), RenderPng: !r.GetValue(noPng),
                    EnvironmentVariables: KernelEnvironment(),
                    CellTimeout: r.GetValue(cellTimeout) is double seconds ? TimeSpan.FromSeconds(seconds) : null));
                if (!result.Succeeded) failed++;
            }
            Console.WriteLine(failed == 0
                ? $"{files.Count} notebook(s): every cell ran."
                : $"{failed} of {files.Count} notebook(s) had failing or skipped cells.");
            return failed == 0 ? 0 : 1;
        });
    }

    static Command BuildValidate()
    {
        var paths = PathsArgument();
        var cmd = new Command("validate", "Check that notebooks are valid C# Polyglot notebooks (nbformat 4, .net-csharp kernel, per-cell kernel metadata).") { paths };
        return cmd.WithAction(r =>
        {
            var files = Expand(r.GetValue(paths) ?? []);
            int bad = 0;
            foreach (var file in files)
            {
                var problems = NotebookValidator.Validate(file);
                if (problems.Count == 0) { Console.WriteLine($"ok    {file}"); continue; }
                bad++;
                Console.WriteLine($"FAIL  {file}");
                foreach (var problem in problems) Console.WriteLine($"      {problem}");
            }
            return bad == 0 ? 0 : 1;
        });
    }

    static string OutFor(string file, string? outDir) => Path.GetFullPath(outDir ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "out"));

    /// <summary>
    /// What the kernel process inherits from this command: libtorch's thread count (the CLI's
    /// <c>--threads</c>/<c>LLCLAB_THREADS</c>, default 1), which the library reads when it starts.
    /// </summary>
    internal static Dictionary<string, string> KernelEnvironment() => new()
    {
        [LlcLab.Runtime.TorchRuntime.ThreadsVariable] = TorchSharp.torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture),
        // The kernel runs in the notebook's folder; relative -p paths (sweepDir) are also tried from here (SweepPlan.ResolveFolder).
        [LlcLab.Sweeps.SweepPlan.CallerDirVariable] = Environment.CurrentDirectory,
    };

    /// <summary><c>name=value</c> pairs → dictionary (later values win).</summary>
    internal static Dictionary<string, string> ParseParameters(IEnumerable<string> pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"-p expects name=value (e.g. -p quick=true), got '{pair}'.");
            d[pair[..eq].Trim()] = pair[(eq + 1)..];
        }
        return d;
    }

    /// <summary>Files as given; folders → their .ipynb files in name order; nothing → the repository's notebooks/.</summary>
    internal static List<string> Expand(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) paths = [RepoPaths.NotebooksFolder()];
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p)) files.AddRange(Directory.GetFiles(p, "*.ipynb").Order(StringComparer.Ordinal));
            else if (File.Exists(p)) files.Add(p);
            else throw new FileNotFoundException($"No notebook or folder at {p}.", p);
        }
        if (files.Count == 0) throw new FileNotFoundException($"No .ipynb notebooks in {string.Join(", ", paths)}.");
        return files;
    }
}

/// <summary>Where the repository's folders are (found by walking up to LlcNotebooks.sln).</summary>
internal static class RepoPaths
{
    public static string Root()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "LlcNotebooks.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Cannot find the repository (LlcNotebooks.sln) above the current folder; run from inside the repository or pass notebook paths.");
    }

    public static string NotebooksFolder() => Path.Combine(Root(), "notebooks");
}
