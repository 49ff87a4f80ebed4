using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

/// <summary>
/// The minimum check with minibatches compares each draw's loss with the loss of w* on the same batch (PairedLossObserver). On a
/// regular model at its exact empirical minimum with unit-variance noise, λ/nβ is small against the batch-to-batch spread of the loss,
/// so the unpaired fraction sits near ½ and fails its limit, while the paired one stays near Φ(−√(λB/2nβ)) and passes. A displaced w*
/// fails both ways.
/// </summary>
public class PairedMinimumCheckTests(ITestOutputHelper output)
{
    /// <summary>mlp:5-2 (d = 12, λ = 6) at the least-squares solution of y = xW + b + ε, ε ~ N(0, I).</summary>
    static (Network Model, Tensor X, Tensor Y) AtExactMinimum(int n, long seed)
    {
        using var g = LlcLab.Runtime.Seeding.Generator(seed);
        var x = randn([n, 5], generator: g);
        var w = randn([5, 2], generator: g);
        var y = x.matmul(w).add(randn([n, 2], generator: g));
        var xb = cat([x, ones([n, 1])], 1);
        var sol = linalg.lstsq(xb, y).Solution;   // [6, 2]: W then b
        var net = Network.Create("mlp:5-2", seed, CPU);
        var p = net.ParameterTensors().ToList();   // weight [2, 5], bias [2]
        using (no_grad())
        {
            p[0].copy_(sol.narrow(0, 0, 5).t());
            p[1].copy_(sol[5]);
        }
        return (net, x, y);
    }

    // The divergence guard compares raw minibatch losses with L(w*) + 10·d/nβ ≈ L(w*) + 0.06 here, less than one batch-to-batch sd
    // (≈ 0.1): it is widened so that the noise of this deliberately noisy, tiny model does not stop the chains.
    static readonly SgldOptions Minibatch = new() { BatchSize = 100, Draws = 600, BurnIn = 200, Chains = 4, Seed = 3, DivergenceFactor = 1000 };

    [Fact]
    public void At_an_exact_minimum_the_paired_check_passes_where_the_unpaired_one_cannot_tell()
    {
        var (net, x, y) = AtExactMinimum(20_000, 1);
        using var _ = net;
        var r = Llc.Estimate(net, x, y, Minibatch);
        var d = r.Diagnostics;
        output.WriteLine($"λ̂ {r.Mean:F2} (λ = 6), nβ {r.NBeta:F0}: below L_B(w*) {d.FractionBelowInitLoss:P1} paired, below L(w*) {d.FractionBelowUnpaired:P1} unpaired");
        Assert.True(d.PairedMinimumCheck);
        // (λ̂ itself is noisy here, SE ≈ nβ·0.1/√2400 ≈ 4: the same batch-to-batch spread; it is not what this test is about.)
        // Φ(−√(6·100/(2·2018))) ≈ 0.35 paired; the unpaired spread sd(ℓ)/√B ≈ 0.1 swamps λ/nβ ≈ 0.003, so ≈ 0.49.
        Assert.InRange(d.FractionBelowInitLoss, 0.25, 0.42);
        Assert.True(d.FractionBelowUnpaired > DiagnosticThresholds.MaxFractionBelowMinibatch, $"unpaired {d.FractionBelowUnpaired:P1}");
        Assert.True(DiagnosticThresholds.AtMinimum(r));
        Assert.DoesNotContain(d.Warnings, w => w.Contains("below L(w*)"));

        // Switched off, the check is the unpaired one, and λ̂ is unchanged to the bit: the observer does not perturb the chains.
        var off = Llc.Estimate(net, x, y, Minibatch with { PairedMinimumCheck = false });
        Assert.False(off.Diagnostics.PairedMinimumCheck);
        Assert.Equal(r.Mean, off.Mean);
        Assert.Equal(d.FractionBelowUnpaired, off.Diagnostics.FractionBelowInitLoss);
        Assert.False(DiagnosticThresholds.AtMinimum(off));

        // The chains run one after another on the module: the same check, from the same kind of evidence.
        var seq = Llc.Estimate(net, x, y, Minibatch with { Draws = 300, Chains = 2 }, vectorized: false);
        Assert.True(seq.Diagnostics.PairedMinimumCheck);
        Assert.InRange(seq.Diagnostics.FractionBelowInitLoss, 0.2, 0.45);
        // The module is back at w* afterwards (the swap to w* and back inside the check leaves no trace).
        var after = Llc.Estimate(net, x, y, Minibatch);
        Assert.Equal(r.Mean, after.Mean, 6);
    }

    [Fact]
    public void A_displaced_point_fails_the_paired_check_and_full_batches_stay_unpaired()
    {
        var (net, x, y) = AtExactMinimum(20_000, 2);
        using var _ = net;
        using (no_grad()) foreach (var t in net.ParameterTensors()) t.add_(0.05);
        var r = Llc.Estimate(net, x, y, Minibatch);
        output.WriteLine($"displaced: paired {r.Diagnostics.FractionBelowInitLoss:P1}, unpaired {r.Diagnostics.FractionBelowUnpaired:P1}, λ̂ {r.Mean:F2}");
        Assert.True(r.Diagnostics.FractionBelowInitLoss > 0.6);
        Assert.False(DiagnosticThresholds.AtMinimum(r));
        Assert.Contains(r.Diagnostics.Warnings, w => w.Contains("on the same minibatch"));

        var full = Llc.Estimate(net, x.narrow(0, 0, 2000), y.narrow(0, 0, 2000), Minibatch with { BatchSize = null, Draws = 100, BurnIn = 0 });
        Assert.False(full.Diagnostics.PairedMinimumCheck);
        Assert.Equal(full.Diagnostics.FractionBelowUnpaired, full.Diagnostics.FractionBelowInitLoss);
    }
}
