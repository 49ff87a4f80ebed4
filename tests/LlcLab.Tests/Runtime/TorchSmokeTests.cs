using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Runtime;

public class TorchSmokeTests
{
    [Fact]
    public void Tensor_op_and_backward_run()
    {
        TorchRuntime.Initialize();
        using var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(new float[] { 2, 4, 6 }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void A_small_network_trains()
    {
        using var net = Network.Create("mlp:4-16-2:relu", seed: 1, device: CPU);
        using var g = Seeding.Generator(7);
        using var x = randn(new long[] { 128, 4 }, generator: g);
        using var y = (x[.., 0] + x[.., 1] > 0).to(int64);
        var opt = optim.Adam(net.Module.parameters(), lr: 0.02);
        double first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(net.Module.call(x), y);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void Seeding_makes_initialisation_reproducible()
    {
        using var a = Network.Create("mlp:3-5-2:tanh", seed: 42, device: CPU);
        using var b = Network.Create("mlp:3-5-2:tanh", seed: 42, device: CPU);
        using var c = Network.Create("mlp:3-5-2:tanh", seed: 43, device: CPU);
        var pa = a.ParameterTensors()[0].data<float>().ToArray();
        Assert.Equal(pa, b.ParameterTensors()[0].data<float>().ToArray());
        Assert.NotEqual(pa, c.ParameterTensors()[0].data<float>().ToArray());
    }

    [Fact]
    public void Device_selection_defaults_to_cpu_without_cuda_and_rejects_unknown_names()
    {
        if (!Devices.CudaAvailable) Assert.Equal(DeviceType.CPU, Devices.Default.type);
        Assert.Throws<ArgumentException>(() => Devices.Parse("tpu"));
        if (!Devices.CudaAvailable)
            Assert.Contains("TorchBackend=cuda", Assert.Throws<ArgumentException>(() => Devices.Parse("cuda")).Message);
    }
}
