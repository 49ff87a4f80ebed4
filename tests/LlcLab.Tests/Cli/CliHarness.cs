using LlcLab.Cli;
using LlcLab.Models;
using LlcLab.Tests.IO;
using Xunit;

namespace LlcLab.Tests.Cli;

/// <summary>Tests that redirect the console run one at a time (xunit runs collections in parallel).</summary>
[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>Runs <c>llclab</c> in-process with the real command tree, capturing stdout and stderr.</summary>
internal static class CliHarness
{
    static readonly Lock Gate = new();

    public sealed record Outcome(int Code, string Out, string Err)
    {
        public override string ToString() => $"exit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public static Outcome Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(), new StringWriter());
            Console.SetOut(o);
            Console.SetError(e);
            bool plain = args.Any(a => a is "--version" or "--help") || args is ["info", ..];
            try { return new Outcome(CliApp.Run(plain ? args : [.. args, "--device", "cpu"]), o.ToString(), e.ToString()); }
            finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
        }
    }

    /// <summary>Asserts a usage error: exit 2, one <c>error:</c> line naming every fragment, no stack trace.</summary>
    public static void AssertUsageError(Outcome r, params string[] fragments)
    {
        Assert.True(r.Code == 2, r.ToString());
        Assert.Contains("error:", r.Err);
        foreach (var f in fragments) Assert.True(r.Err.Contains(f, StringComparison.Ordinal), $"stderr lacks '{f}'.\n{r}");
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("frame #", r.Err);
    }

    /// <summary>The files under <paramref name="dir"/> (relative paths), to check that a failure wrote nothing.</summary>
    public static string[] Files(string dir) =>
        Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(dir, p)).Order().ToArray();

    /// <summary>A small digits model written by <c>llclab train</c> (so it carries the spec and data choice).</summary>
    public static string TrainedDigitsModel(Fixture.TempDir dir, string name = "m.safetensors", int epochs = 3, long seed = 0)
    {
        var path = dir.File(name);
        var r = Run("train", "--arch", "mlp:64-16-10:relu", "--data", "digits", "--epochs", epochs.ToString(), "--seed", seed.ToString(), "--out", path, "--quiet");
        Assert.True(r.Code == 0, r.ToString());
        return path;
    }

    public static void SaveUntrained(string path, string spec = "mlp:64-16-10:relu")
    {
        using var net = Network.Create(spec, 0, TorchSharp.torch.CPU);
        net.Save(path);
    }
}
