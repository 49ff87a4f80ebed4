using System.Text.Json;
using LlcLab.IO;
using LlcLab.Tests.IO;
using Xunit;
using static LlcLab.Tests.Cli.CliHarness;

namespace LlcLab.Tests.Cli;

/// <summary>
/// Issue 15's worst row: rerunning <c>unlearn</c> into an existing folder with a different model, split seed or forget
/// class used to show the old results as the new run's. The manifest now identifies the run; a mismatch is refused
/// naming the field and both values, a longer <c>--steps</c> extends a finished run, and checkpoints load in every verb.
/// </summary>
[Collection("cli")]
public class ResumeTests
{
    static string[] Unlearn(string model, string run, params string[] extra) =>
        ["unlearn", "--method", "neggrad", "--model", model, "--forget", "class:3", "--steps", "4", "--checkpoint-every", "2", "--out", run, .. extra];

    static int Rows(string run) => ResultsTable.ReadCsv(Path.Combine(run, "metrics.csv")).Count;

    [Fact]
    public void A_different_model_split_seed_or_forget_class_is_refused_naming_the_field_and_both_values()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var other = TrainedDigitsModel(dir, "other.safetensors", seed: 1);
        var run = dir.File("run");
        var first = Run(Unlearn(m, run));
        Assert.True(first.Code == 0, first.ToString());
        int rows = Rows(run);

        var model = Run(Unlearn(other, run));
        AssertUsageError(model, "model_sha256 is ", " in the folder but ", " now");
        var split = Run(Unlearn(m, run, "--split-seed", "5"));
        AssertUsageError(split, "split_seed is 0 in the folder but 5 now", "forget_indices_sha256");
        var forget = Run(["unlearn", "--method", "neggrad", "--model", m, "--forget", "class:5", "--steps", "4", "--checkpoint-every", "2", "--out", run]);
        AssertUsageError(forget, "forget is class:3 in the folder but class:5 now", "forget_indices_sha256");
        var lr = Run(Unlearn(m, run, "--lr", "0.01"));
        AssertUsageError(lr, "hp.lr is 0.001 in the folder but 0.01 now");
        Assert.Equal(rows, Rows(run));
        Assert.DoesNotContain("already done", model.Out + split.Out + forget.Out + lr.Out);
    }

    [Fact]
    public void A_longer_steps_extends_a_finished_run_and_a_shorter_one_is_refused()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var run = dir.File("run");
        Assert.Equal(0, Run(Unlearn(m, run)).Code);
        var again = Run(Unlearn(m, run));
        Assert.Contains("0 checkpoints evaluated, 3 already done", again.Out);
        var longer = Run(["unlearn", "--method", "neggrad", "--model", m, "--forget", "class:3", "--steps", "8", "--checkpoint-every", "2", "--out", run]);
        Assert.True(longer.Code == 0, longer.ToString());
        Assert.Contains("2 checkpoints evaluated, 3 already done", longer.Out);
        var table = ResultsTable.ReadCsv(Path.Combine(run, "metrics.csv"));
        Assert.Equal([0L, 2, 4, 6, 8], table.Select(r => r.Step!.Value).Distinct().Order());
        // the extension equals a run made at 8 steps from the start
        var fresh = dir.File("fresh");
        Assert.Equal(0, Run(["unlearn", "--method", "neggrad", "--model", m, "--forget", "class:3", "--steps", "8", "--checkpoint-every", "2", "--out", fresh]).Code);
        var a = table.Where(r => r.Step == 8 && r.Metric == "accuracy").Select(r => r.Value);
        var b = ResultsTable.ReadCsv(Path.Combine(fresh, "metrics.csv")).Where(r => r.Step == 8 && r.Metric == "accuracy").Select(r => r.Value);
        Assert.Equal(b, a);
        var shorter = Run(Unlearn(m, run));
        AssertUsageError(shorter, "hp.steps is 8 in the folder but 4 now", "cannot be shortened");
    }

    [Fact]
    public void The_manifest_holds_numbers_hashes_seeds_and_the_code_version()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var run = dir.File("run");
        Assert.Equal(0, Run(Unlearn(m, run)).Code);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")));
        var root = doc.RootElement;
        foreach (var key in new[] { "model_sha256", "model_weights_sha256", "forget_indices_sha256", "code_version", "data", "procedure" })
            Assert.Equal(JsonValueKind.String, root.GetProperty(key).ValueKind);
        foreach (var key in new[] { "seed", "data_seed", "split_seed", "test_fraction", "n_forget", "hp.steps", "hp.lr" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(key).ValueKind);
        Assert.Equal("finished", root.GetProperty("status").GetString());
        Assert.Equal(LlcLab.Cli.Options.ModelOptions.Sha256(m), root.GetProperty("model_sha256").GetString());
    }

    [Fact]
    public void Unlearn_checkpoints_load_in_every_verb_without_arch()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var run = dir.File("run");
        Assert.Equal(0, Run(Unlearn(m, run)).Code);
        var ck = Path.Combine(run, "checkpoints", "step-000004.safetensors");
        var est = Run("estimate", "--model", ck, "--sgld-draws", "20", "--sgld-burnin", "5", "--out", dir.File("r.json"), "--quiet");
        Assert.True(est.Code == 0, est.ToString());
        var again = Run("unlearn", "--method", "finetune", "--model", ck, "--forget", "class:3", "--steps", "2", "--checkpoint-every", "2", "--out", dir.File("run2"));
        Assert.True(again.Code == 0, again.ToString());
    }

    [Fact]
    public void A_run_that_fails_before_its_first_checkpoint_leaves_no_folder()
    {
        using var dir = new Fixture.TempDir();
        var m = TrainedDigitsModel(dir);
        var r = Run("unlearn", "--method", "leace", "--model", m, "--forget", "concept:parity", "--layer", "h7", "--out", dir.File("run"));
        AssertUsageError(r, "--layer", "h7");
        Assert.False(Directory.Exists(dir.File("run")));
    }
}
