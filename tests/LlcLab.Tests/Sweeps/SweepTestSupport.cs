using System.Diagnostics;
using System.Text;
using LlcLab.Cli.Commands;
using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.Sweeps;

namespace LlcLab.Tests.Sweeps;

/// <summary>A tiny RQ1 grid (2 seeds, a few seconds per cell), the CLI as a subprocess, and the in-process reference.</summary>
static class SweepTestSupport
{
    /// <summary>RQ1 cut down to its core (before / inserted / folded, fine-tuned, one INLP step) with short chains.</summary>
    public static ErasureLlcGrid TinyGrid { get; } = new()
    {
        Options = new ErasureLlcOptions
        {
            Data = ConceptTask.DigitsName, Arch = "mlp:64-16-16-10:relu", Concept = "parity", Seeds = [0, 1], Strengths = [0.0, 1.0], InlpIterations = 1,
            Quick = true, MaxFineTuneSteps = 300, Edits = ErasureLlcOptions.DefaultEdits(quick: true) with { FineTuneSteps = 20, Nulls = false, Frozen = false, AltLocalization = null },
            Sgld = DigitsTask.DefaultSgld(quick: true) with { Chains = 1, Draws = 100, BurnIn = 100 },
        },
    };

    static readonly Lazy<string> reference = new(() => SweepMerge.Canonical(ErasureLlcExperiment.Run(TinyGrid.Options).Table).ToCsv());

    /// <summary>The tiny grid run in-process by the protocol itself, as merged tables show it (CSV text).</summary>
    public static string InProcessCsv => reference.Value;

    /// <summary>A fresh, empty folder under the system temp folder.</summary>
    public static string NewFolder(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "llclab-sweep-tests", $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Writes the tiny grid's configuration file and plans it into <paramref name="folder"/> through the CLI.</summary>
    public static SweepPlan PlanTiny(string folder)
    {
        string config = Path.Combine(folder, "..", Path.GetFileName(folder) + ".config.json");
        File.WriteAllText(config, System.Text.Json.JsonSerializer.Serialize(TinyGrid, SweepJson.Indented));
        var r = Cli(null, "sweep", "plan", folder, "--protocol", "rq1", "--config", config);
        if (r.ExitCode != 0) throw new InvalidOperationException($"sweep plan failed: {r.Output}");
        return SweepPlan.Load(folder);
    }

    /// <summary>How the tests start llclab: the CLI built next to the tests.</summary>
    public static WorkerCommand Command => WorkerCommand.ForAssembly(typeof(SweepVerb).Assembly);

    /// <summary>Longest a CLI call may take in these tests (a hung Slurm job must fail the test, not hang CI).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    /// <summary>Runs <c>llclab args…</c> to completion (killed after <see cref="Timeout"/>); returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Cli(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        using var p = Start(env, args, out var output);
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            lock (output) return (-1, $"llclab {string.Join(" ", args)} did not finish within {Timeout.TotalMinutes} min; killed.\n{output}");
        }
        p.WaitForExit();
        lock (output) return (p.ExitCode, output.ToString());
    }

    /// <summary>Starts <c>llclab args…</c>; its output accumulates in <paramref name="output"/>.</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? env, string[] args, out StringBuilder output)
    {
        var psi = Command.Start(args);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sb = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        output = sb;
        return p;
    }

    /// <summary>The repository root (holds LlcNotebooks.sln), found upward from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LlcNotebooks.sln"))) return d.FullName;
        throw new InvalidOperationException("LlcNotebooks.sln not found above " + AppContext.BaseDirectory);
    }
}
