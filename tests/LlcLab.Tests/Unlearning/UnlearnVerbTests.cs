using System.CommandLine;
using LlcLab.Cli;
using LlcLab.Cli.Commands;
using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.Unlearning;

public class UnlearnVerbTests
{
    static int Run(params string[] args)
    {
        var root = new RootCommand("test") { new UnlearnVerb().Build() };
        root.Options.Add(GlobalOptions.Device);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Unlearn_verb_writes_checkpoints_and_a_tidy_table_and_resumes()
    {
        var dir = Path.Combine(Path.GetTempPath(), "llclab-unlearn-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var model = Path.Combine(dir, "m.safetensors");
            using (var net = UnlearningFixture.Original()) net.Save(model);
            var run = Path.Combine(dir, "run");
            string[] args = ["unlearn", "--method", "neggrad", "--model", model, "--forget", "class:3", "--concept", "parity", "--out", run,
                "--steps", "20", "--checkpoint-every", "10", "--seed", "2"];
            Assert.Equal(0, Run(args));
            var table = ResultsTable.ReadCsv(Path.Combine(run, "metrics.csv"));
            Assert.Equal([0L, 10L, 20L], table.Select(r => r.Step!.Value).Distinct().Order());
            Assert.Contains(table, r => r.Metric == "probe_accuracy" && r.Layer == "h1");
            Assert.Contains(table, r => r.Metric == "mia_auc");
            Assert.Equal(3, Directory.GetFiles(Path.Combine(run, "checkpoints")).Length);
            Assert.Equal(0, Run(args)); // resuming a finished run changes nothing
            Assert.Equal(table.Count, ResultsTable.ReadCsv(Path.Combine(run, "metrics.csv")).Count);

            Assert.Equal(2, Run("unlearn", "--method", "neggrad", "--model", model, "--forget", "digit3", "--out", Path.Combine(dir, "bad")));
            Assert.Equal(2, Run("unlearn", "--method", "forgetall", "--model", model, "--forget", "class:3", "--out", Path.Combine(dir, "bad2")));
            Assert.Equal(2, Run("unlearn", "--method", "leace", "--model", model, "--forget", "class:3", "--out", Path.Combine(dir, "bad3")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
