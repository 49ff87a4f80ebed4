using LlcLab.Erasure;
using LlcLab.Models;
using LlcLab.Runtime;
using Xunit;
using static LlcLab.Tests.Erasure.ErasureData;
using static TorchSharp.torch;

namespace LlcLab.Tests.Erasure;

public class NetworkErasureTests
{
    static (Tensor X, Tensor Z) Inputs(long n = 600)
    {
        using var g = Seeding.Generator(41);
        var x = randn([n, 6], generator: g);
        var z = (x[.., 0] + 0.5 * x[.., 1] > 0).to_type(ScalarType.Int64);
        return (x, z);
    }

    [Fact]
    public void Folded_eraser_changes_the_next_layer_exactly_as_erasing_the_activations()
    {
        using var net = Network.Create("mlp:6-8-8-3:relu", seed: 1, device: CPU);
        var (x, z) = Inputs();
        using var e = Leace.Fit(net.Activations("h1", x), z);
        using var folded = e.FoldInto(net, "h1");
        Assert.Equal(net.ParameterCount, folded.ParameterCount);
        // Manual: h2 = relu(W2 · r(h1) + b2) with the original weights.
        var state = net.StateDict();
        using var h1 = net.Activations("h1", x);
        using var expected = nn.functional.relu(e.Apply(h1).matmul(state["2.weight"].t()) + state["2.bias"]);
        Assert.True(MaxAbs(folded.Activations("h2", x) - expected) < 1e-4);
        Assert.True(MaxAbs(folded.Activations("h1", x) - h1) == 0, "layers before the fold are untouched");
        using var same = e.FoldInto(net, "h1", strength: 0);
        Assert.True(MaxAbs(same.Forward(x) - net.Forward(x)) < 1e-5, "strength 0 is the identity");
        Assert.True(MaxAbs(net.StateDict()["2.weight"] - state["2.weight"]) == 0, "the input network is not modified");
    }

    [Fact]
    public void Scrubbing_erases_every_layer_given_the_erased_upstream()
    {
        using var net = Network.Create("mlp:6-10-10-10-2:tanh", seed: 2, device: CPU);
        var (x, z) = Inputs();
        var r = ConceptScrubbing.Scrub(net, x, z);
        Assert.Equal(["h1", "h2", "h3"], r.Layers.Select(l => l.Layer));
        foreach (var l in r.Layers)
        {
            // The representation the scrubbed network feeds forward at layer ℓ is r_ℓ(h_ℓ), with h_ℓ computed by the
            // scrubbed network (earlier layers already erased); it must carry no linear trace of z.
            using var h = r.Network.Activations(l.Layer, x);
            using var erased = l.Eraser.Apply(h.to_type(ScalarType.Float64));
            double before = Norm(Cov(h, z)), after = Norm(Cov(erased, z));
            Assert.True(after < 1e-8 * Math.Max(before, 1e-3), $"{l.Layer}: ‖Cov‖ {before:E3} → {after:E3}");
        }
        // h2 of the scrubbed network is computed from the erased h1.
        var st = net.StateDict();
        using var h1 = net.Activations("h1", x);
        using var h2 = (r.Layers[0].Eraser.Apply(h1).matmul(st["2.weight"].t()) + st["2.bias"]).tanh();
        Assert.True(MaxAbs(r.Network.Activations("h2", x) - h2) < 1e-4);
        var probe = LinearProbe.Fit(r.Layers[2].Eraser.Apply(r.Network.Activations("h3", x)), z);
        var probeBefore = LinearProbe.Fit(net.Activations("h3", x), z);
        Assert.True(probeBefore.Accuracy > 0.75 && probe.Accuracy < probe.ChanceLevel + 0.05, $"{probeBefore} → {probe}");
    }

    [Fact]
    public void Folding_an_affine_eraser_into_a_bias_free_network_is_a_clear_error()
    {
        using var net = Network.Create("dln:6-5-3", seed: 3, device: CPU);
        var (x, z) = Inputs();
        using var e = Leace.Fit(net.Activations("h1", x), z);
        var err = Assert.Throws<InvalidOperationException>(() => e.FoldInto(net, "h1"));
        Assert.Contains("Affine = false", err.Message);
        using var lin = Leace.Fit(net.Activations("h1", x), z, new LeaceOptions(Affine: false));
        using var folded = lin.FoldInto(net, "h1");
        using var expected = lin.Apply(net.Activations("h1", x)).matmul(net.StateDict()["1.weight"].t());
        Assert.True(MaxAbs(folded.Forward(x) - expected) < 1e-4);
        Assert.Contains("width", Assert.Throws<ArgumentException>(() => Leace.Fit(x, z).FoldInto(net, "h1")).Message);
    }

    [Fact]
    public void Folded_and_inserted_erasers_give_the_same_outputs()
    {
        using var net = Network.Create("mlp:6-8-8-3:relu", seed: 4, device: CPU);
        var (x, z) = Inputs();
        using var e = Leace.Fit(net.Activations("h2", x), z);
        foreach (var t in new[] { 1.0, 0.4 })
        {
            using var folded = e.FoldInto(net, "h2", t);
            using var inserted = e.InsertInto(net, "h2", t);
            Assert.Equal(net.ParameterCount, inserted.ParameterCount);
            Assert.True(MaxAbs(folded.Forward(x) - inserted.Forward(x)) < 1e-4, $"strength {t}");
            Assert.True(MaxAbs(inserted.Activations("h2", x) - e.Apply(net.Activations("h2", x), t)) < 1e-4);
        }
        // Scrubbing by insertion equals scrubbing by folding.
        var a = ConceptScrubbing.Scrub(net, x, z, mode: ScrubMode.Fold);
        var b = ConceptScrubbing.Scrub(net, x, z, mode: ScrubMode.Insert);
        Assert.True(MaxAbs(a.Network.Forward(x) - b.Network.Forward(x)) < 1e-4);
    }
}
