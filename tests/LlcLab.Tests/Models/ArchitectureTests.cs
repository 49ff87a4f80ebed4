using LlcLab.Data;
using LlcLab.Models;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Models;

public class ArchitectureTests
{
    const string Tf1 = "transformer:vocab=12,d=16,heads=2,layers=1,seq=5,out=3";
    const string Tf2 = "transformer:vocab=12,d=16,heads=4,layers=2,seq=5,mlp=24,out=3";

    static Tensor Input(Network net, int batch, long seed)
    {
        using var g = new Generator((ulong)seed);
        return net.Spec.Kind == "transformer"
            ? randint(net.Spec.Settings["vocab"], [batch, net.Spec.Settings["seq"]], generator: g)
            : rand([batch, 64], generator: g);
    }

    [Theory]
    [InlineData("cnn:digits:16-32")]
    [InlineData("cnn:digits:4-6-8:fc0")]
    [InlineData(Tf1)]
    [InlineData(Tf2)]
    public void Batched_form_equals_the_module_for_every_chain(string spec)
    {
        var nets = Enumerable.Range(0, 3).Select(i => Network.Create(spec, seed: 10 + i, device: CPU)).ToList();
        var x = Input(nets[0], 6, 1);
        var stacked = Enumerable.Range(0, nets[0].ParameterInfos.Count)
            .Select(j => stack(nets.Select(n => n.ParameterTensors()[j].detach()).ToArray())).ToList();
        using var y = nets[0].Functional.Forward(stacked, x);
        Assert.Equal(new long[] { 3, 6, nets[0].Spec.Widths[^1] }, y.shape);
        for (int c = 0; c < 3; c++)
            Assert.True(allclose(y[c], nets[c].Forward(x), rtol: 1e-4, atol: 1e-5), $"chain {c}");
        // Hidden layers agree too (functional cut vs module cut).
        foreach (var layer in nets[0].LayerNames)
        {
            int l = nets[0].LayerIndex(layer);
            var fh = nets[0].Layered.Features(nets[0].Layered.ForwardRange(stacked, x, 0, l), l);
            Assert.True(allclose(fh[1], nets[1].Activations(layer, x), rtol: 1e-4, atol: 1e-5), layer);
        }
        foreach (var n in nets) n.Dispose();
    }

    [Theory]
    [InlineData("cnn:digits:16-32")]
    [InlineData("cnn:digits:4-6-8:fc0")]
    [InlineData(Tf1)]
    [InlineData(Tf2)]
    public void Single_chain_form_equals_the_module_and_the_batched_form(string spec)
    {
        using var net = Network.Create(spec, seed: 4, device: CPU);
        Assert.True(net.Functional.AcceptsSingleChain);
        var x = Input(net, 7, 2);
        var single = net.ParameterTensors().Select(p => p.detach().clone().requires_grad_(true)).ToList();
        var batched = single.Select(p => p.detach().unsqueeze(0).clone().requires_grad_(true)).ToList();
        using var ys = net.Functional.Forward(single, x);
        using var yb = net.Functional.Forward(batched, x);
        Assert.Equal(new long[] { 7, net.Spec.Widths[^1] }, ys.shape);
        Assert.True(allclose(ys, net.Forward(x), rtol: 1e-5, atol: 1e-6));
        Assert.True(allclose(ys, yb[0], rtol: 1e-5, atol: 1e-6));
        // Their gradients agree too (the sampler differentiates the single form).
        ys.square().sum().backward();
        yb.square().sum().backward();
        for (int i = 0; i < single.Count; i++)
            Assert.True(allclose(single[i].grad!, batched[i].grad![0], rtol: 1e-4, atol: 1e-5), net.ParameterInfos[i].Name);
    }

    [Fact]
    public void Parameter_names_follow_pytorch()
    {
        using var cnn = Network.Create("cnn:digits:16-32", device: CPU);
        Assert.Equal(["1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias", "10.weight", "10.bias"], cnn.ParameterInfos.Select(p => p.Name));
        Assert.Equal(new long[] { 32, 16, 3, 3 }, cnn.ParameterInfos[2].Shape);
        Assert.Equal(new long[] { 64, 128 }, cnn.ParameterInfos[4].Shape);
        Assert.Equal(["conv1", "conv2", "fc1"], cnn.LayerNames);
        Assert.Equal(cnn.ParameterInfos.Select(p => p.Name).OrderBy(s => s), cnn.Module.named_parameters().Select(p => p.name).OrderBy(s => s));
        using var tf = Network.Create(Tf2, device: CPU);
        Assert.Contains("blocks.1.attn.in_proj_weight", tf.ParameterInfos.Select(p => p.Name));
        Assert.Contains("blocks.0.attn.out_proj.bias", tf.ParameterInfos.Select(p => p.Name));
        Assert.Equal(tf.ParameterInfos.Select(p => p.Name).OrderBy(s => s), tf.Module.named_parameters().Select(p => p.name).OrderBy(s => s));
        Assert.Equal(["block1", "block2"], tf.LayerNames);
        Assert.Equal(new long[] { 6, 16 }, tf.Activations("block2", Input(tf, 6, 0)).shape);
    }

    [Theory]
    [InlineData("cnn:digits:4-8", "conv1")]
    [InlineData("cnn:digits:4-8", "fc1")]
    [InlineData(Tf1, "block1")]
    [InlineData(Tf2, "block1")]
    public void Fixed_affine_works_for_every_kind(string spec, string layer)
    {
        using var net = Network.Create(spec, seed: 5, device: CPU);
        var x = Input(net, 4, 2);
        long f = net.Activations(layer, x).shape[1];
        using var g = new Generator(3);
        var m = eye(f) + 0.1f * randn([f, f], generator: g);
        var c = randn([f], generator: g);
        using var fixedNet = net.WithFixedAffine(layer, m, c);
        Assert.True(allclose(fixedNet.Activations(layer, x), net.Activations(layer, x).matmul(m.T) + c, rtol: 1e-4, atol: 1e-4));
        var ps = fixedNet.ParameterTensors().Select(t => t.detach().unsqueeze(0)).ToList();
        Assert.True(allclose(fixedNet.Functional.Forward(ps, x)[0], fixedNet.Forward(x), rtol: 1e-4, atol: 1e-5));
        Assert.False(allclose(fixedNet.Forward(x), net.Forward(x), atol: 1e-3));
        Assert.Equal(net.ParameterInfos.Select(p => p.Name), fixedNet.ParameterInfos.Select(p => p.Name));
        if (spec == Tf1)
        {
            // One block: the output is the readout of the mapped last-position residual.
            var sd = net.StateDict();
            var expected = (net.Activations(layer, x).matmul(m.T) + c).matmul(sd["unembed.weight"].T) + sd["unembed.bias"];
            Assert.True(allclose(fixedNet.Forward(x), expected, rtol: 1e-4, atol: 1e-4));
        }
    }

    [Fact]
    public void Cnn_learns_digits_quickly()
    {
        var (train, test) = Digits.Load().Split(0.2, seed: 1);
        using var net = Network.Create("cnn:digits:8-16:fc32", seed: 0, device: CPU);
        var r = Trainer.Train(net, train, new TrainOptions { MaxEpochs = 8, LearningRate = 3e-3, Test = test });
        Assert.True(r.TestAccuracy > 0.9, r.ToString());
    }

    [Theory]
    [InlineData("cnn:mnist:16")]
    [InlineData("cnn:digits:16-32-8-4")]
    [InlineData("transformer:vocab=10,d=30,heads=4,seq=3")]
    [InlineData("transformer:d=32,seq=3")]
    [InlineData("transformer:vocab=10,seq=3,depth=2")]
    public void Bad_specs_name_the_fix(string spec) =>
        Assert.Contains("Spec", Assert.Throws<ArgumentException>(() => ModelSpec.Parse(spec)).Message);
}

public class InitTests
{
    [Fact]
    public void Mlp_init_is_pytorch_default_uniform_from_the_private_generator()
    {
        using var net = Network.Create("mlp:4-3", seed: 5, device: CPU);
        using var g = LlcLab.Runtime.Seeding.Generator(5);
        var w = rand([3, 4], generator: g) * (2 * 0.5) - 0.5;   // bound 1/√fan_in = 1/2
        var b = rand([3], generator: g) * (2 * 0.5) - 0.5;
        var sd = net.StateDict();
        Assert.True(allclose(sd["0.weight"], w) && allclose(sd["0.bias"], b));
        using var cnn = Network.Create("cnn:digits:4-8", seed: 1, device: CPU);
        Assert.True(cnn.StateDict()["4.weight"].abs().max().item<float>() <= 1 / MathF.Sqrt(4 * 9));
    }
}
