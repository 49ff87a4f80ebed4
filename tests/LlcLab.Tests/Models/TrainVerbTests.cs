using System.CommandLine;
using LlcLab.Cli;
using LlcLab.Cli.Commands;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Tests.IO;
using Xunit;

namespace LlcLab.Tests.Models;

public class TrainVerbTests
{
    static int Run(params string[] args)
    {
        var root = new RootCommand("test") { new TrainVerb().Build() };
        root.Options.Add(GlobalOptions.Device);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Train_verb_writes_a_loadable_model_checkpoints_and_results()
    {
        using var dir = new Fixture.TempDir();
        var model = dir.File("m.safetensors");
        int rc = Run("train", "--arch", "mlp:16-8-2:relu", "--data", "synthetic", "--epochs", "3", "--out", model, "--quiet",
            "--checkpoint-every", "20", "--results", dir.File("r.csv"), "--device", "cpu");
        Assert.Equal(0, rc);
        using var net = Network.Load(model);
        Assert.Equal("mlp:16-8-2:relu", net.Spec.Text);
        Assert.NotEmpty(Directory.GetFiles(model + ".checkpoints", "step-*.safetensors"));
        var rows = ResultsTable.ReadCsv(dir.File("r.csv"));
        Assert.Contains(rows, r => r.Metric == "accuracy" && r.DataSubset == "test" && r.Value > 0.5);
    }

    [Fact]
    public void Bad_data_is_exit_code_2()
    {
        using var dir = new Fixture.TempDir();
        Assert.Equal(2, Run("train", "--arch", "mlp:16-8-2:relu", "--data", "nothing", "--out", dir.File("m.safetensors")));
        Assert.Equal(2, Run("train", "--arch", "mlp:16-8-2:relu", "--data", "x.npy", "--out", dir.File("m.safetensors")));
    }
}
