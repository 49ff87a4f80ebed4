using System.CommandLine;
using System.Globalization;
using LlcLab.Sweeps;
using Spectre.Console;

namespace LlcLab.Cli.Commands;

/// <summary>
/// <c>llclab sweep plan|run|submit|status|merge|worker</c>: a protocol as a grid of pure, hashed cells (lib/LlcLab/Sweeps),
/// run here in N worker processes or as a Slurm job array, resumable, merged into one byte-identical table.
/// </summary>
public sealed class SweepVerb : IVerb
{
    public int Order => 85;

    public Command Build()
    {
        var cmd = new Command("sweep", "Run a protocol as a grid of independent cells: plan, run locally in N processes or as a Slurm job array, resume, merge.");
        cmd.Subcommands.Add(Plan());
        cmd.Subcommands.Add(Run());
        cmd.Subcommands.Add(Submit());
        cmd.Subcommands.Add(Drain());
        cmd.Subcommands.Add(Status());
        cmd.Subcommands.Add(Merge());
        cmd.Subcommands.Add(Worker());
        return cmd;
    }

    static Argument<string> FolderArgument() => new("folder") { Description = "The sweep folder (sweep.json, cells/, logs/, merged/)." };

    static Command Plan()
    {
        var folder = FolderArgument();
        folder.Arity = ArgumentArity.ZeroOrOne;
        var protocol = new Option<string?>("--protocol") { Description = $"Protocol to plan: {string.Join(", ", SweepProtocols.All.Select(p => $"{p.Name} ({p.Description})"))}." };
        var config = new Option<string?>("--config") { Description = "JSON file with the protocol's configuration (start from --print-config)." };
        var quick = new Option<bool>("--quick") { Description = "Use the protocol's quick-mode configuration (without --config)." };
        var print = new Option<bool>("--print-config") { Description = "Print the protocol's default configuration (with --quick: the quick one) and exit." };
        var cmd = new Command("plan", "Plan a sweep into FOLDER (writes sweep.json) and list its cells: how many, their estimated cost, which are done.")
        {
            folder, protocol, config, quick, print,
        };
        return cmd.WithAction(r =>
        {
            // `plan FOLDER` alone on a planned folder shows the plan; it never silently replaces it with a default configuration.
            if (r.GetValue(folder) is { } existing && SweepPlan.Exists(existing) && r.GetValue(protocol) is null && r.GetValue(config) is null && !r.GetValue(quick) && !r.GetValue(print))
            {
                PrintStatus(SweepStatus.Read(existing), all: true);
                return 0;
            }
            var name = r.GetValue(protocol) ?? throw new ArgumentException("Give --protocol (e.g. --protocol rq1).");
            var p = SweepProtocols.Get(name);
            if (r.GetValue(print)) { Console.WriteLine(p.DefaultConfig(r.GetValue(quick))); return 0; }
            string dir = r.GetValue(folder) ?? throw new ArgumentException("Give the sweep folder: llclab sweep plan FOLDER --protocol NAME.");
            string json;
            if (r.GetValue(config) is { } file)
            {
                if (r.GetValue(quick)) throw new ArgumentException("--quick and --config exclude each other (set quick in the configuration file instead).");
                json = File.Exists(file) ? File.ReadAllText(file) : throw new FileNotFoundException($"No configuration file '{file}' (--config).", file);
            }
            else json = p.DefaultConfig(r.GetValue(quick));
            var plan = SweepPlan.Create(p, json);
            SweepPlan? previous = null;
            try { if (SweepPlan.Exists(dir)) previous = SweepPlan.Load(dir); } catch (InvalidDataException) { } // a damaged plan is simply replaced
            bool replanned = previous is not null && !previous.Cells.Select(c => c.Id).SequenceEqual(plan.Cells.Select(c => c.Id));
            plan.Save(dir);
            if (replanned) Console.WriteLine($"note: {dir} held another plan; it now holds this one (shards of other cells stay on disk but are never used for these).");
            PrintStatus(SweepStatus.Read(dir), all: true);
            return 0;
        });
    }

    static Command Run()
    {
        var folder = FolderArgument();
        var workers = new Option<int>("--workers", "-j") { Description = "Worker processes (each runs one cell at a time with LLCLAB_THREADS libtorch threads, default 1).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var retry = new Option<bool>("--retry-failed") { Description = "Also rerun cells whose last attempt failed." };
        var budget = new Option<string?>("--time-budget") { Description = "Start a cell only if it should finish within this time from now (e.g. 2h30m, 90m, 01:30:00), judged by the measured time per cell; the rest stay pending." };
        var cmd = new Command("run", "Run the sweep's pending cells on this machine in N worker processes, with progress and ETA. Rerun to resume.")
        {
            folder, workers, retry, budget,
        };
        return cmd.WithAction(r =>
        {
            string dir = r.GetValue(folder)!;
            int n = r.GetValue(workers);
            if (n < 1) throw new ArgumentException($"--workers must be ≥ 1, got {n}.");
            TimeSpan? timeBudget = r.GetValue(budget) is { } text ? ParseDuration(text, "--time-budget") : null;
            var before = SweepStatus.Read(dir);
            int todo = before.Pending + (r.GetValue(retry) ? before.Failed : 0);
            Console.WriteLine($"{before.Plan.Protocol}: {before.Total} cells, {before.Done} done, {todo} to run in {n} worker(s){(before.Failed > 0 && !r.GetValue(retry) ? $", {before.Failed} failed (not retried: add --retry-failed)" : "")}.");
            var command = WorkerCommand.ForAssembly(typeof(SweepVerb).Assembly);
            var extra = WorkerArgs(r);
            SweepRunReport report;
            if (AnsiConsole.Profile.Capabilities.Interactive && todo > 0)
            {
                report = null!;
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"{before.Plan.Protocol} cells", maxValue: todo);
                        report = LocalWorkerPool.Run(dir, n, command, r.GetValue(retry), p =>
                        {
                            task.Increment(1);
                            task.Description = Markup.Escape($"{before.Plan.Protocol} {p.Finished}/{p.Total}{(p.Failed > 0 ? $", {p.Failed} failed" : "")}, ETA {Format(p.Eta)}");
                        }, extra, budget: timeBudget);
                    });
            }
            else
            {
                report = LocalWorkerPool.Run(dir, n, command, r.GetValue(retry), p => Console.WriteLine(FormattableString.Invariant(
                    $"[{p.Finished}/{p.Total}] cell {p.Cell.Index} {p.Cell.Label}: {p.Outcome.ToString().ToLowerInvariant()} ({p.CellTime.TotalSeconds:F1} s) — ETA {Format(p.Eta)}")), extra, budget: timeBudget);
            }
            Console.WriteLine(FormattableString.Invariant(
                $"ran {report.Ran.Count} cell(s) in {report.Elapsed.TotalSeconds:F1} s; {report.Failed.Count} failed, {report.Interrupted.Count} interrupted, {report.AlreadyDone} were already done."));
            if (report.OverBudget.Count > 0)
                Console.WriteLine(FormattableString.Invariant($"time budget: {report.OverBudget.Count} cell(s) not started, they would not finish within {Format(timeBudget)} (≈ {report.SecondsPerCell:F0} s per cell); still pending."));
            if (report.Drained.Count > 0)
                Console.WriteLine($"drained: {report.Drained.Count} cell(s) not started (still pending); `llclab sweep run {dir}` resumes them.");
            foreach (var c in report.Failed) Console.WriteLine($"  failed: cell {c.Index} {c.Label}: {new ShardStore(dir).FailureLine(c.Id)}");
            return report.Failed.Count + report.Interrupted.Count == 0 ? 0 : 1;
        });
    }

    /// <summary>"2h30m", "90m", "45s", "1h" or a TimeSpan ("01:30:00"); a clear error naming <paramref name="flag"/> otherwise.</summary>
    internal static TimeSpan ParseDuration(string text, string flag)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$");
        if (m.Success && text.Trim().Length > 0)
            return new TimeSpan(m.Groups[1].Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero) return t;
        throw new ArgumentException($"{flag} expects a duration such as 2h30m, 90m, 45s or 01:30:00, got '{text}'.");
    }

    static Command Drain()
    {
        var folder = FolderArgument();
        var cmd = new Command("drain", "Stop a running `sweep run` gracefully: it starts no new cell, and the cells in flight finish and are kept. Rerun to resume.")
        {
            folder,
        };
        return cmd.WithAction(r =>
        {
            string dir = r.GetValue(folder)!;
            LocalWorkerPool.RequestDrain(dir);
            var st = SweepStatus.Read(dir);
            Console.WriteLine($"{st.Plan.Protocol}: drain requested; {st.Running} cell(s) in flight will finish, {st.Pending} pending will not start.");
            return 0;
        });
    }

    static Command Submit()
    {
        var folder = FolderArgument();
        var slurm = new Option<bool>("--slurm") { Description = "Submit as a Slurm job array (the only scheduler supported)." };
        var chunk = new Option<int>("--cells-per-task") { Description = "Cells per array task (run one after another).", DefaultValueFactory = _ => 1 };
        var partition = new Option<string?>("--partition", "-p") { Description = "Slurm partition (e.g. gpu)." };
        var time = new Option<string?>("--time") { Description = "Time limit per array task (e.g. 02:00:00)." };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task; also the worker's libtorch threads.", DefaultValueFactory = _ => 1 };
        var mem = new Option<string?>("--mem") { Description = "Memory per task (e.g. 4G)." };
        var gres = new Option<string?>("--gres") { Description = "Generic resources (e.g. gpu:1; add --worker-device cuda)." };
        var workerDevice = new Option<string?>("--worker-device") { Description = "Device of the workers (cpu, cuda, cuda:N), resolved on the compute node — the login node needs no GPU." };
        var account = new Option<string?>("--account") { Description = "Slurm account." };
        var maxConcurrent = new Option<int?>("--max-concurrent") { Description = "At most N array tasks at once (--array=…%N)." };
        var extra = new Option<string[]>("--sbatch-arg") { Description = "Extra #SBATCH argument, verbatim (repeatable), e.g. --sbatch-arg=--qos=short.", AllowMultipleArgumentsPerToken = false };
        var retry = new Option<bool>("--retry-failed") { Description = "Also submit cells whose last attempt failed." };
        var wait = new Option<bool>("--wait") { Description = "Wait until every array task has ended (sbatch --wait), then print the status." };
        var dry = new Option<bool>("--dry-run") { Description = "Write the script but do not submit it." };
        var sbatch = new Option<string>("--sbatch") { Description = "The sbatch executable.", DefaultValueFactory = _ => "sbatch" };
        var cmd = new Command("submit", "Write an sbatch --array script for the sweep's pending cells (one task per chunk, logs per task) and submit it.")
        {
            folder, slurm, chunk, partition, time, cpus, mem, gres, workerDevice, account, maxConcurrent, extra, retry, wait, dry, sbatch,
        };
        return cmd.WithAction(r =>
        {
            if (!r.GetValue(slurm)) throw new ArgumentException("Say which scheduler: --slurm (the only one supported).");
            string dir = r.GetValue(folder)!;
            var plan = SweepPlan.Load(dir);
            CellRunner.VerifyIds(plan);
            var status = SweepStatus.Read(dir);
            var cells = status.Cells.Where(c => c.State == CellState.Pending || (r.GetValue(retry) && c.State == CellState.Failed)).Select(c => c.Cell).ToList();
            var options = new SlurmOptions
            {
                CellsPerTask = r.GetValue(chunk), Partition = r.GetValue(partition), Time = r.GetValue(time), CpusPerTask = r.GetValue(cpus),
                Memory = r.GetValue(mem), Gres = r.GetValue(gres), Account = r.GetValue(account), MaxConcurrent = r.GetValue(maxConcurrent),
                Extra = r.GetValue(extra) ?? [],
            };
            var workerArgs = r.GetValue(workerDevice) is { Length: > 0 } wd ? ["--device", wd] : WorkerArgs(r);
            var batch = SlurmScript.Write(dir, plan.Protocol, cells, options, WorkerCommand.ForAssembly(typeof(SweepVerb).Assembly), workerArgs);
            Console.WriteLine($"wrote {batch.ScriptPath}: {cells.Count} cells in {batch.Tasks} array task(s); logs in {Path.Combine(Path.GetFullPath(dir), "logs")}");
            if (r.GetValue(dry)) return 0;
            var (job, code) = SlurmSubmitter.Submit(batch.ScriptPath, r.GetValue(wait), r.GetValue(sbatch)!);
            Console.WriteLine($"submitted job {job}{(r.GetValue(wait) ? $"; it ended with exit code {code}" : $"; follow it with `squeue -j {job}` and `llclab sweep status {dir}`")}");
            if (r.GetValue(wait)) PrintStatus(SweepStatus.Read(dir), all: false);
            return code == 0 ? 0 : 1;
        });
    }

    static Command Status()
    {
        var folder = FolderArgument();
        var all = new Option<bool>("--all") { Description = "List every cell, not only failed and running ones." };
        var cmd = new Command("status", "Show done, running, failed (with the error's first line) and pending cells of a sweep.") { folder, all };
        return cmd.WithAction(r =>
        {
            PrintStatus(SweepStatus.Read(r.GetValue(folder)!), r.GetValue(all));
            return 0;
        });
    }

    static Command Merge()
    {
        var folder = FolderArgument();
        var output = new Option<string?>("--out") { Description = "Merged CSV path (default: FOLDER/merged/<protocol>.csv; a .json and a .cells.csv cost table go beside it)." };
        var cmd = new Command("merge", "Build the protocol's table from the shards, in canonical order (byte-identical whatever ran where).") { folder, output };
        return cmd.WithAction(r =>
        {
            string path = SweepMerge.Write(r.GetValue(folder)!, r.GetValue(output));
            Console.WriteLine($"merged {ResultsTableRows(path)} rows into {path}");
            return 0;
        });
    }

    static Command Worker()
    {
        var folder = FolderArgument();
        var cells = new Option<string?>("--cells") { Description = "Comma-separated cell ids to run." };
        var tasks = new Option<string?>("--tasks") { Description = "A Slurm tasks file (one line of cell ids per array task); with --task." };
        var task = new Option<int?>("--task") { Description = "Array task index (line of --tasks), e.g. $SLURM_ARRAY_TASK_ID." };
        var cmd = new Command("worker", "Run cells in this process (what `run` and Slurm tasks start; not usually typed by hand).") { folder, cells, tasks, task };
        return cmd.WithAction(r =>
        {
            IReadOnlyList<string>? ids = null;
            if (r.GetValue(cells) is { } list)
            {
                if (r.GetValue(tasks) is not null) throw new ArgumentException("--cells and --tasks exclude each other.");
                ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var id in ids) if (!CellId.IsWellFormed(id)) throw new ArgumentException($"--cells: '{id}' is not a cell id ({CellId.Length} hex digits).");
            }
            else if (r.GetValue(tasks) is { } file)
                ids = SlurmScript.TaskCells(file, r.GetValue(task) ?? throw new ArgumentException("--tasks needs --task K (the array task index)."));
            var results = CellRunner.Run(r.GetValue(folder)!, ids, Console.Out);
            return results.Any(x => x.Outcome == CellOutcome.Failed) ? 1 : 0;
        });
    }

    /// <summary>Arguments every worker gets from this invocation (the device, when given).</summary>
    static IReadOnlyList<string> WorkerArgs(ParseResult r) =>
        r.GetValue(GlobalOptions.Device) is { Length: > 0 } d ? ["--device", d] : [];

    static void PrintStatus(SweepStatus s, bool all)
    {
        string cost = s.SecondsPerCell is double sec
            ? FormattableString.Invariant($"; ≈ {sec:F0} s per cell ({(s.EstimateMeasured ? "measured on done cells" : "prior estimate")}), ≈ {Format(s.RemainingCost)} of core time left")
            : "";
        Console.WriteLine($"{s.Plan.Protocol}: {s.Total} cells — {s.Done} done, {s.Running} running, {s.Failed} failed, {s.Pending} pending{cost}.");
        var rows = s.Cells.Where(c => all || c.State is CellState.Failed or CellState.Running).ToList();
        if (rows.Count == 0) return;
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Redirected (logs, CI, scripts): one unwrapped line per cell, easy to grep.
            foreach (var c in rows) Console.WriteLine($"  {c.Cell.Index,4}  {c.Cell.Id}  {c.State.ToString().ToLowerInvariant(),-7}  {c.Cell.Label}{(c.Detail is { } d ? "  — " + d : "")}");
            return;
        }
        var table = new Table().AddColumns("#", "id", "cell", "state", "detail");
        foreach (var c in rows)
            table.AddRow(c.Cell.Index.ToString(CultureInfo.InvariantCulture), c.Cell.Id, Markup.Escape(c.Cell.Label), c.State.ToString().ToLowerInvariant(), Markup.Escape(c.Detail ?? ""));
        AnsiConsole.Write(table);
    }

    static string Format(TimeSpan? t) => t is not TimeSpan v ? "—" : v.TotalHours >= 1 ? $"{(int)v.TotalHours}h{v.Minutes:00}m" : v.TotalMinutes >= 1 ? $"{(int)v.TotalMinutes}m{v.Seconds:00}s" : $"{v.TotalSeconds:F0}s";

    static int ResultsTableRows(string csv) => LlcLab.IO.ResultsTable.ReadCsv(csv).Count;
}
