using LlcLab.Data;
using LlcLab.Erasure;
using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;

namespace LlcLab.Tests.Integration;

/// <summary>The README's "library at a glance" snippet, run as written (with small sampler settings).</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Build_erase_estimate_reads_like_the_readme()
    {
        var digits = Digits.Load();
        var (train, test) = digits.Split(0.2, seed: 0);
        using var net = Network.Create("mlp:64-64-10:relu", seed: 0);
        Trainer.Train(net, train);
        var options = new SgldOptions { Chains = 2, Draws = 100, BurnIn = 50, Seed = 1 };
        var before = Llc.Estimate(net, train.X, train.Y, options);
        var eraser = Leace.Fit(net.Activations("h1", train.X), train.Concept("parity"));
        using var erased = eraser.InsertInto(net, "h1");
        var after = Llc.Estimate(erased, train.X, train.Y, before.Options);

        Assert.True(Evaluate.Accuracy(net, test) > 0.9);
        Assert.True(double.IsFinite(before.Mean) && before.Mean > 0, $"λ̂ before = {before.Mean}");
        // Inserting the eraser moves the model off its minimum; the estimator must say so rather
        // than return a silently meaningless number. After fine-tuning, λ̂ is positive again.
        if (after.Mean < 0) Assert.Contains(after.Diagnostics.Warnings, w => w.Contains("not a local minimum"));
        Trainer.Train(erased, train);
        var tuned = Llc.Estimate(erased, train.X, train.Y, before.Options);
        Assert.True(tuned.Mean > 0, $"λ̂ after erasure and fine-tuning = {tuned.Mean}");
        // The erased network has the same trainable parameters (the eraser is a fixed layer).
        Assert.Equal(net.ParameterCount, erased.ParameterCount);
    }
}
