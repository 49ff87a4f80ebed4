using LlcLab.Data;
using LlcLab.Models;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Models;

public class FixedAffineTests
{
    [Fact]
    public void Inserted_map_equals_manual_computation_in_module_functional_and_activations()
    {
        using var net = Network.Create("mlp:6-8-8-3:relu", seed: 1, device: CPU);
        using var g = new Generator(2);
        var m = randn([8, 8], generator: g); var c = randn([8], generator: g);
        var x = randn([5, 6], generator: g);
        using var fixedNet = net.WithFixedAffine("h1", m, c);
        var p = net.StateDict();
        var h1 = nn.functional.relu(x.matmul(p["0.weight"].T) + p["0.bias"]).matmul(m.T) + c;
        var h2 = nn.functional.relu(h1.matmul(p["2.weight"].T) + p["2.bias"]);
        var expected = h2.matmul(p["4.weight"].T) + p["4.bias"];

        Assert.True(allclose(fixedNet.Forward(x), expected, rtol: 1e-5, atol: 1e-5));
        var stacked = fixedNet.ParameterTensors().Select(t => t.detach().unsqueeze(0)).ToList();
        Assert.True(allclose(fixedNet.Functional.Forward(stacked, x)[0], expected, rtol: 1e-5, atol: 1e-5));
        Assert.True(allclose(fixedNet.Activations("h1", x), h1, rtol: 1e-5, atol: 1e-5));
        Assert.True(allclose(fixedNet.Activations("h2", x), h2, rtol: 1e-5, atol: 1e-5));
        // The original is untouched.
        Assert.False(allclose(net.Forward(x), expected, atol: 1e-3));
    }

    [Fact]
    public void The_map_is_a_buffer_not_a_parameter()
    {
        using var net = Network.Create("dln:4-3-3-2", seed: 1, device: CPU);
        using var fixedNet = net.WithFixedAffine("h2", eye(3) * 2, ones(3));
        Assert.Equal(net.ParameterInfos.Select(i => i.Name), fixedNet.ParameterInfos.Select(i => i.Name));
        Assert.Equal(net.ParameterInfos.Select(i => i.Name), fixedNet.Module.named_parameters().Select(q => q.name));
        Assert.Equal(net.StateDict().Keys, fixedNet.StateDict().Keys);
        Assert.Contains(fixedNet.Module.named_buffers(), b => b.name == "fixed_h2.matrix");
        // Training moves the weights but never the map.
        var data = new Dataset(randn(32, 4), randn(32, 2));
        Trainer.Train(fixedNet, data, new TrainOptions { MaxEpochs = 2 });
        var buf = fixedNet.Module.named_buffers().First(b => b.name == "fixed_h2.matrix").buffer;
        Assert.True(buf.equal(eye(3) * 2).all().item<bool>());
        Assert.False(fixedNet.StateDict()["0.weight"].equal(net.StateDict()["0.weight"]).all().item<bool>());
        // Clone keeps the map.
        using var clone = fixedNet.Clone();
        var x = randn(3, 4);
        Assert.True(allclose(clone.Forward(x), fixedNet.Forward(x)));
    }

    [Fact]
    public void Maps_compose_and_bad_shapes_are_errors()
    {
        using var net = Network.Create("mlp:4-5-2:tanh", seed: 3, device: CPU);
        using var once = net.WithFixedAffine("h1", eye(5) * 0.5, zeros(5));
        using var twice = once.WithFixedAffine("h1", eye(5), ones(5));
        var x = randn(7, 4);
        Assert.True(allclose(twice.Activations("h1", x), net.Activations("h1", x) * 0.5 + 1, atol: 1e-6));
        Assert.Equal(2, twice.FixedAffines.Count);
        Assert.Contains("[5, 5]", Assert.Throws<ArgumentException>(() => net.WithFixedAffine("h1", eye(4), zeros(5))).Message);
        Assert.Contains("[5]", Assert.Throws<ArgumentException>(() => net.WithFixedAffine("h1", eye(5), zeros(4))).Message);
        Assert.Contains("h1", Assert.Throws<ArgumentException>(() => net.WithFixedAffine("h9", eye(5), zeros(5))).Message);
    }
}
