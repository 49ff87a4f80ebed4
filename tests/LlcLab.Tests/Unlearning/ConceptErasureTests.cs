using LlcLab.Unlearning;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Unlearning;

public class ConceptErasureTests
{
    [Fact]
    public void Leace_as_a_procedure_folds_the_eraser_and_probes_at_the_erased_layer_reach_chance()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var proc = new ConceptErasure("h1", Steps: 4);
        var run = UnlearningRun.Execute(original, data, proc, [new ConceptProbeMetric(), new AccuracyMetric()], seed: 1);
        Assert.Equal([0, 1, 2, 3, 4], run.Steps);
        double Probe(int step, string protocol = "train_to_test") =>
            run.Table.Single(r => r.Step == step && r.Metric == "probe_accuracy" && r.Layer == "h1" && r.DataSubset == protocol).Value;
        double chance = run.Table.First(r => r.Metric == "probe_chance" && r.DataSubset == "train_to_test").Value;
        Assert.True(Probe(0) > 0.85, $"parity is linearly decodable before erasure ({Probe(0)})");
        Assert.True(Probe(2) < Probe(0), "half-strength erasure lowers probe accuracy");
        Assert.True(Probe(4) < chance + 0.05, $"after LEACE the parity probe at h1 is at chance: {Probe(4)} vs {chance}");
        Assert.True(Probe(0, "test_halves") > 0.85);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], run.Table.Where(r => r.Metric == "strength").OrderBy(r => r.Step).Select(r => r.Value));

        var cks = proc.Run(original, data).ToList();
        // t = 0 is the original model exactly.
        foreach (var (k, v) in original.StateDict()) Assert.True(v.eq(cks[0].State[k]).all().item<bool>(), k);
        // t = 1: the folded model computes the network with the eraser inserted after h1.
        using var folded = cks[^1].ToNetwork(original);
        var a = cks[^1].Inserted.Single();
        var x = data.Test!.X;
        var h = original.Activations("h1", x).matmul(a.Matrix.t()) + a.Offset;
        var sd = original.StateDict();
        var expected = h.matmul(sd["2.weight"].t()) + sd["2.bias"];
        Assert.True(allclose(folded.Forward(x), expected, rtol: 1e-4, atol: 1e-4));
        // The erased representation has no linear parity signal on the fit data: class means coincide.
        var hf = original.Activations("h1", cat([data.Forget.X, data.Retain.X])).matmul(a.Matrix.t()) + a.Offset;
        var z = cat([data.Forget.Concept!, data.Retain.Concept!]);
        var gap = (hf.index_select(0, z.eq(1).nonzero().flatten()).mean([0]) - hf.index_select(0, z.eq(0).nonzero().flatten()).mean([0])).abs().max().item<float>();
        Assert.True(gap < 1e-3, $"class-mean gap after erasure {gap}");
    }

    [Fact]
    public void Erasure_needs_concept_labels_and_a_valid_layer()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var noConcept = data with { Forget = data.Forget with { Concept = null } };
        Assert.Contains("concept", Assert.Throws<ArgumentException>(() => new ConceptErasure().Run(original, noConcept)).Message);
        Assert.Contains("h7", Assert.Throws<ArgumentException>(() => new ConceptErasure("h7").Run(original, data)).Message);
    }
}
