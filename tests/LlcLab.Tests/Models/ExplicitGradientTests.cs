using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Models;

/// <summary>The hand-derived MLP backward pass equals autograd, for every activation, loss and parameter layout.</summary>
public class ExplicitGradientTests
{
    [Theory]
    [InlineData("mlp:6-8-8-3:relu", "ce")]
    [InlineData("mlp:6-8-8-3:relu", "mse")]
    [InlineData("mlp:6-5-4-3:tanh", "ce")]
    [InlineData("mlp:6-5-3:gelu", "mse")]
    [InlineData("mlp:6-5-3:gelu", "ce")]
    [InlineData("dln:6-4-3-5", "mse")]
    [InlineData("mlp:6-3", "ce")]
    public void Matches_autograd(string spec, string lossName)
    {
        const int C = 3, B = 11;
        var loss = Losses.Parse(lossName);
        var g = LlcLab.Runtime.Seeding.Generator(4);
        var nets = Enumerable.Range(0, C).Select(s => Network.Create(spec, seed: s + 1, device: CPU)).ToList();
        var f = (IExplicitGradient)nets[0].Functional;
        var x = randn([B, nets[0].Spec.Widths[0]], generator: g);
        long k = nets[0].Spec.Widths[^1];
        Tensor y = loss == LossKind.CrossEntropy ? randint(0, k, [B], generator: g) : randn([B, k], generator: g);
        // Parameters as the sampler passes them: some stored transposed (non-contiguous views), all requiring grad.
        var ps = Enumerable.Range(0, f.Parameters.Count).Select(i =>
        {
            var st = stack(nets.Select(n => n.ParameterTensors()[i].detach()).ToList());
            return (st.dim() == 3 ? st.transpose(1, 2).contiguous().transpose(1, 2) : st.clone()).requires_grad_(true);
        }).ToList();

        var reference = Losses.Compute(loss, f.Forward(ps, x), y);
        var expected = autograd.grad([reference.sum()], ps);
        var got = ps.Select(p => zeros_like(p)).ToList();
        var lossOut = f.LossAndGradient(ps, x, y, loss, got.Cast<Tensor?>().ToList());

        Assert.True(allclose(lossOut, reference.detach(), rtol: 1e-5, atol: 1e-6), "explicit loss differs from the autograd loss");
        for (int i = 0; i < ps.Count; i++)
        {
            double scale = expected[i].abs().max().item<float>() + 1e-6;
            double err = (got[i] - expected[i]).abs().max().item<float>();
            Assert.True(err <= 1e-5 * scale + 1e-7, $"{f.Parameters[i].Name}: max error {err:G3} (scale {scale:G3})");
            Assert.True(scale > 1e-5, $"{f.Parameters[i].Name}: gradient is all zero, the test would prove nothing");
        }
        foreach (var n in nets) n.Dispose();
    }

    [Fact]
    public void Null_gradient_slots_are_skipped_and_others_still_exact()
    {
        using var net = Network.Create("mlp:5-4-4-2:relu", seed: 3, device: CPU);
        var f = (IExplicitGradient)net.Functional;
        var ps = net.ParameterTensors().Select(p => p.detach().unsqueeze(0).clone().requires_grad_(true)).ToList();
        var x = randn(9, 5);
        var y = randint(0, 2, [9]);
        var expected = autograd.grad([Losses.Compute(LossKind.CrossEntropy, f.Forward(ps, x), y).sum()], ps);
        var slots = ps.Select((p, i) => i == 2 ? zeros_like(p) : null).ToList();
        f.LossAndGradient(ps, x, y, LossKind.CrossEntropy, slots);
        Assert.True(allclose(slots[2]!, expected[2], rtol: 1e-5, atol: 1e-7));
    }

    [Fact]
    public void Sampler_gives_the_same_chains_with_explicit_and_autograd_gradients()
    {
        // Same seed → same noise; equal gradients → the same trajectories up to float rounding.
        using var net = Network.Create("mlp:8-6-3:tanh", seed: 2, device: CPU);
        var g = LlcLab.Runtime.Seeding.Generator(5);
        var x = randn([300, 8], generator: g);
        var y = net.Forward(x).argmax(-1);
        var o = new SgldOptions { Chains = 3, Draws = 200, BurnIn = 50, Seed = 9, Lr = 1e-4, NBeta = 50 };
        var fast = Llc.Estimate(net, x, y, o);
        var slow = Llc.Estimate(net, x, y, o with { ExplicitGradients = false });
        Assert.Equal(slow.InitLoss, fast.InitLoss, 6);
        for (int c = 0; c < 3; c++)
            Assert.True(Math.Abs(fast.PerChain[c] - slow.PerChain[c]) < 1e-3 * Math.Max(1, Math.Abs(slow.PerChain[c])),
                $"chain {c}: explicit {fast.PerChain[c]:F5} vs autograd {slow.PerChain[c]:F5}");
        Assert.NotEqual(0, fast.Mean);
    }
}

/// <summary>Explicit backprop through inserted fixed affine maps (erasers) equals autograd.</summary>
public class ExplicitGradientThroughInsertsTests
{
    [Theory]
    [InlineData("mlp:6-5-4-3:relu")]
    [InlineData("mlp:6-5-4-3:gelu")]
    [InlineData("dln:6-5-4-3")]
    public void Matches_autograd_with_two_inserted_maps(string spec)
    {
        var g = LlcLab.Runtime.Seeding.Generator(8);
        using var net = Network.Create(spec, seed: 3, device: CPU);
        // A projection-like map at h1 and a generic affine map at h2, as layer-by-layer scrubbing produces.
        var u = randn([5, 1], generator: g);
        var p1 = eye(5) - u.matmul(u.T) / u.T.matmul(u);
        using var once = net.WithFixedAffine("h1", p1, randn([5], generator: g));
        using var twice = once.WithFixedAffine("h2", randn([4, 4], generator: g) * 0.5, randn([4], generator: g));
        var f = (IExplicitGradient)twice.Functional;
        Assert.True(f.HasExplicitGradient);
        var ps = twice.ParameterTensors().Select(p => p.detach().unsqueeze(0).repeat([2, .. Enumerable.Repeat(1L, (int)p.dim())]).requires_grad_(true)).ToList();
        var x = randn([7, 6], generator: g);
        var y = randint(0, 3, [7], generator: g);
        var reference = Losses.Compute(LossKind.CrossEntropy, f.Forward(ps, x), y);
        var expected = autograd.grad([reference.sum()], ps);
        var got = ps.Select(p => zeros_like(p)).ToList();
        var lossOut = f.LossAndGradient(ps, x, y, LossKind.CrossEntropy, got.Cast<Tensor?>().ToList());
        Assert.True(allclose(lossOut, reference.detach(), rtol: 1e-5, atol: 1e-6));
        for (int i = 0; i < ps.Count; i++)
            Assert.True(allclose(got[i], expected[i], rtol: 1e-4, atol: 1e-6), $"{f.Parameters[i].Name} differs from autograd");
    }
}
