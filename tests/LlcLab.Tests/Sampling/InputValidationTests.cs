using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class InputValidationTests
{
    static readonly SgldOptions Tiny = new() { Draws = 5, BurnIn = 0, Chains = 1 };

    [Fact]
    public void Row_count_mismatch_is_a_clear_error()
    {
        using var net = Network.Create("mlp:4-3", device: CPU);
        var e = Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), randn(9, 3), Tiny));
        Assert.Contains("same first dimension", e.Message);
    }

    [Fact]
    public void Wrong_target_width_names_the_expected_shape()
    {
        using var net = Network.Create("mlp:4-3", device: CPU);
        var e = Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), randn(10, 2), Tiny));
        Assert.Contains("[n, 3]", e.Message);
    }

    [Fact]
    public void NaN_inputs_or_targets_are_rejected()
    {
        using var net = Network.Create("mlp:4-3", device: CPU);
        var x = randn(10, 4); x[3, 1] = tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Llc.Estimate(net, x, randn(10, 3), Tiny)).Message);
        var y = randn(10, 3); y[0, 0] = tensor(float.PositiveInfinity);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), y, Tiny)).Message);
    }

    [Fact]
    public void Cross_entropy_labels_must_be_in_range_integers()
    {
        using var net = Network.Create("mlp:4-5-3:relu", device: CPU);
        var e = Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), full(10, 3L, ScalarType.Int64), Tiny));
        Assert.Contains("[0, 2]", e.Message);
        var f = Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), randn(10), Tiny, loss: LossKind.CrossEntropy));
        Assert.Contains("int64", f.Message);
    }

    [Fact]
    public void Input_width_mismatch_and_bad_options_are_clear_errors()
    {
        using var net = Network.Create("mlp:4-3", device: CPU);
        Assert.Contains("[n, 4]", Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 5), randn(10, 3), Tiny)).Message);
        Assert.Contains("[n, 4]", Assert.Throws<ArgumentException>(() => Llc.Estimate(net.Module, randn(10, 5), randn(10, 3), Tiny)).Message);
        Assert.Contains("Lr", Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), randn(10, 3), Tiny with { Lr = -1 })).Message);
        Assert.Contains("Chains", Assert.Throws<ArgumentException>(() => Llc.Estimate(net, randn(10, 4), randn(10, 3), Tiny with { Chains = 0 })).Message);
        Assert.Contains("No parameter matches", Assert.Throws<ArgumentException>(() =>
            Llc.Estimate(net, randn(10, 4), randn(10, 3), Tiny with { OnlyParameters = ["9.weight"] })).Message);
    }
}
