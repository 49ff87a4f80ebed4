using System.Diagnostics;
using System.Text.Json;
using LlcLab.IO;
using LlcLab.Tests.IO;
using Xunit;
using static LlcLab.Tests.Cli.CliHarness;

namespace LlcLab.Tests.Cli;

/// <summary>One vocabulary across verbs, tidy outputs, and the process-level behaviour (version, help, Ctrl-C).</summary>
[Collection("cli")]
public class VocabularyTests
{
    [Fact]
    public void Version_and_info_agree_and_help_says_llclab()
    {
        var version = Run("--version");
        var info = Run("info");
        Assert.Equal(0, version.Code);
        Assert.StartsWith("llclab", info.Out);
        Assert.Contains(version.Out.Trim(), info.Out);
        Assert.Contains("llclab [command]", Run("--help").Out);
        Assert.Contains("llclab estimate [options]", Run("estimate", "--help").Out);
    }

    [Fact]
    public void Train_estimate_erase_unlearn_share_one_vocabulary_on_built_in_data()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir, epochs: 5);
        var est = Run("estimate", "--model", m, "--data", "digits", "--sgld-draws", "30", "--sgld-burnin", "10", "--out", dir.File("llc.json"),
            "--results", dir.File("results.csv"), "--quiet");
        Assert.True(est.Code == 0, est.ToString());
        var erase = Run("erase", "--data", "digits", "--concept", "parity", "--out", dir.File("x-erased.npy"), "--save-eraser", dir.File("eraser.json"));
        Assert.True(erase.Code == 0, erase.ToString());
        var un = Run("unlearn", "--method", "neggrad", "--model", m, "--data", "digits", "--forget", "class:3", "--steps", "2", "--checkpoint-every", "2",
            "--llc", "--sgld-draws", "30", "--sgld-burnin", "10", "--out", dir.File("run"));
        Assert.True(un.Code == 0, un.ToString());

        // the same train split everywhere: nβ of estimate = nβ of unlearn --llc on the training set, n = 1,438
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("llc.json")));
        Assert.Equal(1438, doc.RootElement.GetProperty("n").GetInt64());
        var runRows = ResultsTable.ReadCsv(dir.File("run/metrics.csv"));
        var estRows = ResultsTable.ReadCsv(dir.File("results.csv"));
        var unlearnLlc = runRows.Single(r => r.Metric == "llc" && r.DataSubset == "train" && r.Step == 0);
        var estimateLlc = estRows.Single(r => r.Metric == "llc");
        Assert.Equal(estimateLlc.Nbeta, unlearnLlc.Nbeta);
        Assert.Equal(estimateLlc.Lr, unlearnLlc.Lr);
        // same SGLD defaults and seed on the same model and rows: the same number
        // Same chains from the same seed and data; the two paths reduce float32 losses in a different order, so they agree to
        // float32 precision (measured: 2e-5 relative), not bit for bit.
        Assert.True(Math.Abs(estimateLlc.Value - unlearnLlc.Value) <= 1e-4 * Math.Max(1, Math.Abs(estimateLlc.Value)),
            $"estimate λ̂ {estimateLlc.Value} vs unlearn --llc λ̂ {unlearnLlc.Value}");
        // the same diagnostics in both outputs
        foreach (var metric in new[] { "llc_r_hat", "llc_ess", "llc_mala_acceptance" })
        {
            Assert.Contains(estRows, r => r.Metric == metric);
            Assert.Contains(runRows, r => r.Metric == metric && r.DataSubset == "train");
        }
        using var x = Npy.Read(dir.File("x-erased.npy"));
        Assert.Equal([1438L, 64], x.shape);
    }

    [Fact]
    public void Estimate_keeps_traces_out_of_the_summary_and_warnings_on_stderr()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir, epochs: 1);
        var r = Run("estimate", "--model", m, "--sgld-draws", "20", "--sgld-burnin", "0", "--out", dir.File("llc.json"), "--quiet");
        Assert.True(r.Code == 0, r.ToString());
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("llc.json")));
        Assert.False(summary.RootElement.TryGetProperty("loss_trace", out _));
        Assert.Equal(dir.File("llc.traces.json"), summary.RootElement.GetProperty("traces").GetString());
        using var traces = JsonDocument.Parse(File.ReadAllText(dir.File("llc.traces.json")));
        Assert.Equal(20, traces.RootElement.GetProperty("loss_trace")[0].GetArrayLength());
        Assert.True(new FileInfo(dir.File("llc.json")).Length < 4000);
        // an undertrained model with 20 draws always draws sampler warnings: they go to stderr only
        Assert.Contains("warning:", r.Err);
        Assert.DoesNotContain("warning:", r.Out);
    }

    [Fact]
    public async Task Ctrl_C_stops_after_the_current_checkpoint_and_prints_how_to_resume()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var run = dir.File("run");
        var dll = Path.Combine(AppContext.BaseDirectory, "LlcLab.Cli.dll");
        // Started through python3, which resets SIGINT to its default before exec'ing dotnet: a test host that was itself
        // started in the background by a non-interactive shell passes SIGINT down as ignored, and Ctrl-C would never arrive.
        var psi = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('dotnet', ['dotnet'] + sys.argv[1:])",
                dll, "unlearn", "--method", "neggrad", "--model", m, "--forget", "class:3", "--steps", "400", "--checkpoint-every", "1",
                "--relearn", "--out", run, "--device", "cpu" },
        };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null && !line.StartsWith("step      1")) { }
        Assert.NotNull(line);
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString()])) kill.WaitForExit();
        var rest = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "unlearn did not stop after Ctrl-C");
        var stderr = await err;
        var stdout = await rest;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}\n{stdout}\n{stderr}");
        Assert.Contains("To resume, run the same command again", stderr);
        Assert.Contains("llclab unlearn --method neggrad", stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")));
        Assert.Equal("interrupted", doc.RootElement.GetProperty("status").GetString());
        var done = ResultsTable.ReadCsv(Path.Combine(run, "metrics.csv")).Select(r => r.Step).Distinct().Count();
        Assert.InRange(done, 2, 399);
        Assert.Equal(done, Directory.GetFiles(Path.Combine(run, "checkpoints")).Length); // no half-written checkpoint
    }
}
