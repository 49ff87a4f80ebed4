using LlcLab.Models;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Models;

public class FunctionalNetTests
{
    [Theory]
    [InlineData("mlp:6-8-8-3:relu")]
    [InlineData("mlp:6-5-3:gelu")]
    [InlineData("dln:6-4-3-5")]
    public void Batched_form_equals_the_module_for_every_chain(string spec)
    {
        using var a = Network.Create(spec, seed: 1, device: CPU);
        using var b = Network.Create(spec, seed: 2, device: CPU);
        using var x = randn(10, 6);
        var stacked = a.ParameterTensors().Zip(b.ParameterTensors()).Select(t => stack([t.First.detach(), t.Second.detach()])).ToList();
        using var y = a.Functional.Forward(stacked, x);
        Assert.Equal(new long[] { 2, 10, a.Spec.Widths[^1] }, y.shape);
        Assert.True(allclose(y[0], a.Forward(x), rtol: 1e-5, atol: 1e-6));
        Assert.True(allclose(y[1], b.Forward(x), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Parameter_names_follow_pytorch_sequential_numbering()
    {
        using var m = Network.Create("mlp:4-3-2:relu", device: CPU);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], m.ParameterInfos.Select(p => p.Name));
        using var d = Network.Create("dln:4-3-2", device: CPU);
        Assert.Equal(["0.weight", "1.weight"], d.ParameterInfos.Select(p => p.Name));
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("mlp:4")]
    [InlineData("mlp:4-x-2")]
    [InlineData("mlp:4-3-2:swish")]
    public void Bad_specs_are_clear_errors(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelSpec.Parse(spec));
        Assert.Contains(spec.Split(':').Last(), e.Message);
    }

    [Fact]
    public void Mismatched_state_dict_names_the_problem()
    {
        using var m = Network.Create("mlp:4-3-2:relu", device: CPU);
        var state = m.StateDict();
        state["2.weight"] = zeros(5, 5);
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Contains("2.weight", e.Message);
    }
}
