using LlcLab.Analysis;
using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Experiments;

/// <summary>The matched-edit step of RQ1/RQ2: parameters above a layer, the frozen fixed-budget re-minimisation, and the rows a
/// tiny digits run of the RQ1 protocol produces for the eraser beside its four null edits.</summary>
public class MatchedEditsTests
{
    [Fact]
    public void ParametersAbove_h1_are_the_next_linear_maps_and_after()
    {
        using var net = Network.Create("mlp:64-16-16-10:relu", 0);
        Assert.Equal(["2.weight", "2.bias", "4.weight", "4.bias"], MatchedEdits.ParametersAbove(net, "h1"));
        Assert.Equal(["4.weight", "4.bias"], MatchedEdits.ParametersAbove(net, "h2"));
    }

    [Fact]
    public void FineTuneSubset_with_tolerance_zero_takes_the_whole_budget_and_leaves_frozen_parameters_alone()
    {
        using var net = Network.Create("mlp:6-16-3:relu", 1);
        using var g = LlcLab.Runtime.Seeding.Generator(11);
        var x = randn([200, 6], generator: g);
        var y = x[.., 0].gt(0).to(ScalarType.Int64);
        var before = net.StateDict();
        var above = MatchedEdits.ParametersAbove(net, "h1");
        var ft = Stationarity.FineTuneSubset(net, x, y, new SgldOptions { Localization = 100 }, above, tolerance: 0, maxSteps: 25);
        Assert.Equal(25, ft.Steps);
        var after = net.StateDict();
        Assert.Equal(0f, (before["0.weight"] - after["0.weight"]).abs().max().item<float>());
        Assert.True((before["2.weight"] - after["2.weight"]).abs().max().item<float>() > 0, "the layer above h1 did not move");
        // The frozen layer took no part in backward (no gradient accumulated into it: that grew memory by a batch's worth per step),
        // and it is trainable again afterwards.
        var first = net.ParameterTensors()[0];
        Assert.True(first.grad is null || first.grad.abs().max().item<float>() == 0, "a gradient accumulated into the frozen layer");
        Assert.All(net.ParameterTensors(), p => Assert.True(p.requires_grad));
        Assert.Throws<ArgumentException>(() => Stationarity.FineTuneSubset(net, x, y, new SgldOptions(), ["9.weight"], maxSteps: 1));
    }

    [Fact]
    public void Rq1_rows_put_every_null_edit_beside_leace_with_confounds_probes_and_the_second_gamma()
    {
        var o = new ErasureLlcOptions
        {
            Data = ConceptTask.DigitsName, Arch = "mlp:64-16-10:relu", Concept = "parity", Seeds = [0, 1], Strengths = [0.0, 1.0], Quick = true,
            MaxFineTuneSteps = 50, Edits = ErasureLlcOptions.DefaultEdits(quick: true) with { FineTuneSteps = 10, AltLocalization = 10, AltLr = 5e-5 },
            Sgld = DigitsTask.DefaultSgld(quick: true) with { Chains = 2, Draws = 40, BurnIn = 40 },
        };
        var r = ErasureLlcExperiment.Run(o);
        foreach (var edit in MatchedEdits.EditNames)
        {
            string fine = ErasureLlcExperiment.Procedure(edit, "finetuned"), frozen = ErasureLlcExperiment.Procedure(edit, "frozen");
            Assert.Equal(2, r.Rows("llc", fine, 100).Count());
            Assert.Equal(2, r.Rows("llc" + MatchedEdits.AltSuffix, fine, 100).Count());
            Assert.Equal(2, r.Rows(MatchedEdits.AboveMetric, frozen, 100).Count());
            foreach (var m in ConfoundRegression.Predictors) Assert.Equal(2, r.Rows(m, fine, 100).Count());
            Assert.All(r.Rows("finetune_steps", fine, 100), row => Assert.Equal(10, row.Value));
            // The frozen variant runs to the gradient criterion (a convex read-out: its minimiser does not depend on the budget), so it is
            // not held to the 10-step budget, and its rows say it converged; its bias bound is then within the minimum check's limit.
            Assert.Equal(new[] { 1.0, 1.0 }, r.Rows("finetune_converged", frozen, 100).Select(row => row.Value));
            Assert.All(r.Rows("finetune_steps", frozen, 100), row => Assert.InRange(row.Value, 0, o.Edits.FrozenMaxSteps));
            Assert.Equal(new[] { 1.0, 1.0 }, r.Rows(MatchedEdits.AboveMetric + "_check_grad_bias_bound", frozen, 100).Select(row => row.Value));
            Assert.Equal(2, r.Rows("probe_accuracy_leak", fine, 100).Count());
            Assert.Equal(2, r.Rows("llc_check_mala", fine, 100).Count());
        }
        Assert.Equal(2, r.Rows(MatchedEdits.AboveMetric, "none", 0).Count());
        // Same rank for LEACE and its nulls (a), (b), (d); (c) is invertible (rank of Q = I − M may differ, nothing is erased).
        Assert.All(new[] { "null-orth", "null-oblique", "null-whitened" }, n =>
            Assert.Equal(r.Rows("edit_rank", "leace-inserted-finetuned", 100).Select(x => x.Value), r.Rows("edit_rank", ErasureLlcExperiment.Procedure(n, "finetuned"), 100).Select(x => x.Value)));
        var (excess, excluded) = Paired.Excess(r, "llc", ("leace-inserted-finetuned", 100), ("null-orth-finetuned", 100), strict: false);
        Assert.True(excess is not null || excluded == 2);
    }
}
