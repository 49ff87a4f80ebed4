using Xunit;
using static LlcLab.Tests.Notebooks.NotebookTestSupport;

namespace LlcLab.Tests.Notebooks;

/// <summary>
/// The key integration case: a notebook that #r's LlcLab.dll (and TorchSharp.dll) from the library's
/// build folder by a relative path, as the real notebooks do, and runs a TorchSharp op.
/// </summary>
public class LlcLabIntegrationTests
{
    /// <summary>lib/LlcLab/bin/Release/net10.0 when built (CI builds Release), else this test's own output folder.</summary>
    static string LibraryFolder()
    {
        string release = Path.Combine(RepoRoot, "lib", "LlcLab", "bin", "Release", "net10.0");
        return File.Exists(Path.Combine(release, "LlcLab.dll")) ? release : AppContext.BaseDirectory;
    }

    [Fact]
    public void Notebook_referencing_LlcLab_dll_runs_a_TorchSharp_op()
    {
        var dir = NewFolder("llclab");
        string rel = Path.GetRelativePath(dir, LibraryFolder()).Replace('\\', '/');
        var path = Write(dir, "torch.ipynb",
            $"#r \"{rel}/LlcLab.dll\"\n#r \"{rel}/TorchSharp.dll\"",
            "LlcLab.Runtime.TorchRuntime.Initialize();\nvar t = TorchSharp.torch.ones(3);\nt",
            "display(TorchSharp.torch.arange(6).reshape(2, 3));\n(t * 2).sum().item<float>()",
            "TorchSharp.torch.zeros(200, 100)");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("Tensor [3] Float32 cpu\n[1, 1, 1]", OutputText(r.Executed, 1, "text/plain"));
        string both = OutputText(r.Executed, 2, "text/plain");
        Assert.StartsWith("Tensor [2, 3] Int64 cpu\n", both);
        Assert.Contains("[3, 4, 5]", both);
        Assert.EndsWith("6", both);
        string big = OutputText(r.Executed, 3, "text/plain");
        Assert.StartsWith("Tensor [200, 100] Float32 cpu\nfirst 20 of 20000 values (flattened):\n", big);
    }

    [Fact]
    public void Dependencies_beside_a_referenced_dll_are_usable_by_name()
    {
        // Roslyn resolves LlcLab.dll's missing references (TorchSharp) from its folder, so notebooks may
        // name TorchSharp types after #r of LlcLab.dll alone; runtime loads go to the host's copies.
        var dir = NewFolder("llclab-implicit");
        string rel = Path.GetRelativePath(dir, LibraryFolder()).Replace('\\', '/');
        var path = Write(dir, "implicit.ipynb",
            $"#r \"{rel}/LlcLab.dll\"",
            "LlcLab.Runtime.TorchRuntime.Initialize().Message.Length > 0",
            "var t = TorchSharp.torch.zeros(2, 2);\nt.shape[1]");
        var r = Run(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Failures));
        Assert.Equal("True", OutputText(r.Executed, 1, "text/plain"));
        Assert.Equal("2", OutputText(r.Executed, 2, "text/plain"));
    }
}
