using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.IO;
using LlcLab.Sampling;
using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

/// <summary>RQ2 and RQ4 as per-seed sweeps, RQ3 as per-(architecture, seed) sweep: their cells, run one by one, concatenate to the protocol's own table.</summary>
public class SeedSweepTests
{
    static readonly SgldOptions Tiny = DigitsTask.DefaultSgld(quick: true) with { Chains = 1, Draws = 60, BurnIn = 60 };

    static void CellsConcatenateToTheProtocol(ISweepProtocol protocol, object options, ResultsTable inProcess)
    {
        var plan = SweepPlan.Create(protocol, SweepJson.Canonical(options), "test");
        Assert.Equal(2, plan.Cells.Count);
        var cells = new ResultsTable();
        foreach (var c in plan.Cells) cells.AddRange(protocol.Run(c.Input, null));
        Assert.Equal(SweepMerge.Canonical(inProcess).ToCsv(), SweepMerge.Canonical(cells).ToCsv());
    }

    [Fact]
    public void Rq2_cells_concatenate_to_the_in_process_protocol()
    {
        var o = ConceptComparisonOptions.QuickMode with { Data = ConceptTask.DigitsName, Arch = "mlp:64-16-16-10:relu", Concepts = ["parity"], Sgld = Tiny, Edits = ErasureLlcOptions.DefaultEdits(quick: true) with { FineTuneSteps = 20, Nulls = false, Frozen = false, AltLocalization = null } };
        CellsConcatenateToTheProtocol(SweepProtocols.Get("rq2"), o, ConceptComparisonExperiment.Run(o).Table);
    }

    [Fact]
    public void Rq4_cells_concatenate_to_the_in_process_protocol()
    {
        var o = UnlearningLlcOptions.QuickMode with
        {
            Arch = "mlp:64-16-16-10:relu", Seeds = [0, 1], Procedures = ["finetune"], Steps = 10, RetrainSteps = 50, RelearnMaxSteps = 10, MaxPolishSteps = 100, Sgld = Tiny,
        };
        CellsConcatenateToTheProtocol(SweepProtocols.Get("rq4"), o, UnlearningLlcExperiment.Run(o).Table);
    }

    [Fact]
    public void Rq3_cells_are_one_architecture_and_seed_each_and_concatenate_to_the_in_process_protocol()
    {
        var o = ArchitectureSweepOptions.QuickMode with
        {
            Archs = ["mlp:64-8-10:relu", "mlp:64-16-10:relu"], Seeds = [0], Sgld = Tiny, FineTuneMaxEpochs = 5, MaxPolishSteps = 50,
        };
        var plan = SweepPlan.Create(SweepProtocols.Get("rq3"), SweepJson.Canonical(o), "test");
        Assert.Equal(2, plan.Cells.Count);
        Assert.NotEqual(plan.Cells[0].Id, plan.Cells[1].Id);
        CellsConcatenateToTheProtocol(SweepProtocols.Get("rq3"), o, ArchitectureSweepExperiment.Run(o).Table);
    }
}
