using LlcLab.Runtime;
using Xunit;

namespace LlcLab.Tests.Runtime;

/// <summary>The pieces of the FSharp.Core fix that can be checked outside the kernel (the kernel tests check the rest).</summary>
public class FSharpCoreBridgeTests
{
    [Fact]
    public void The_folder_notebooks_reference_carries_no_FSharp_Core()
    {
        string? root = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && root is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LlcNotebooks.sln"))) root = d.FullName;
        Assert.NotNull(root);
        string folder = Path.Combine(root!, "lib", "LlcLab", "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(folder, "LlcLab.dll")), $"build lib/LlcLab first: {folder}");
        // A FSharp.Core.dll here would be loaded by the kernel as a second copy (see FSharpCoreBridge).
        Assert.False(File.Exists(Path.Combine(folder, "FSharp.Core.dll")), "lib/LlcLab's output must not contain FSharp.Core.dll");
        Assert.True(File.Exists(Path.Combine(folder, "Plotly.NET.dll")));
    }

    [Fact]
    public void In_a_process_with_one_FSharp_Core_charts_render_and_nothing_is_redirected()
    {
        FSharpCoreBridge.Install();
        string check = FSharpCoreBridge.Check();
        Assert.Contains("a test chart renders", check);
        Assert.DoesNotContain("TWO COPIES", check);
        Assert.Single(FSharpCoreBridge.Loaded());
    }
}
