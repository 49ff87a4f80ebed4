using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.Unlearning;
using Xunit;

namespace LlcLab.Tests.Experiments;

/// <summary>The protocols' stages are public and guard their order; the procedure tables come from the one registry.</summary>
public class ProtocolStagesTests
{
    [Fact]
    public void Rq1Seed_StagesAfterBefore_RefuseToRunFirst()
    {
        var o = ErasureLlcOptions.QuickMode with { Data = ConceptTask.DigitsName, Arch = "mlp:64-16-16-10:relu", Concept = "parity", Seeds = [0] };
        using var seed = ErasureLlcSeed.Create(o, 0);
        Assert.Contains("Before", Assert.Throws<InvalidOperationException>(() => seed.Strengths()).Message);
        Assert.Throws<InvalidOperationException>(() => seed.MatchedNulls());
        Assert.Throws<InvalidOperationException>(() => seed.InlpSteps(1));
        Assert.Empty(seed.Table);
        Assert.Equal("h2", seed.NextLayer);
        Assert.Throws<ArgumentException>(() => seed.InlpSteps(0));
    }

    [Fact]
    public void Rq3Cell_NullStage_NeedsTheErasedStage()
    {
        var o = ArchitectureSweepOptions.QuickMode with { Archs = ["mlp:64-16-10:relu"] };
        using var cell = ArchitectureSweepCell.Create(o, "mlp:64-16-10:relu", 0, ladder: false);
        Assert.Throws<InvalidOperationException>(() => cell.NullStage("null-oblique", (10, 10)));
        Assert.Empty(cell.Erasers);
        Assert.Empty(cell.Table);
    }

    [Fact]
    public void TuningAndTrajectoryProcedures_ComeFromTheRegistry()
    {
        var u = new UnlearnOptions { Steps = 20, CheckpointEvery = 5, Lr = 0.01 };
        foreach (var name in ProcedureTuning.Tunable)
        {
            var p = ProcedureTuning.Create(name, u);
            var r = ProcedureRegistry.Create(name, u);
            Assert.Equal(r.GetType(), p.GetType());
            Assert.Equal(r.Hyperparameters, p.Hyperparameters);
        }
        Assert.Contains("scrub", Assert.Throws<ArgumentException>(() => ProcedureTuning.Create("leace", u)).Message);

        var o = UnlearningTrajectoryOptions.QuickMode;
        var leace = Assert.IsType<ConceptErasure>(UnlearningTrajectoryProcedures.Create("leace", o, 0));
        Assert.Equal((o.Layer, o.Checkpoints), (leace.Layer, leace.Steps));
        var inlp = Assert.IsType<InlpErasure>(UnlearningTrajectoryProcedures.Create("inlp", o, 3));
        Assert.Equal((o.Layer, o.Checkpoints, 3L), (inlp.Layer, inlp.Rounds, inlp.Seed));
        var audit = UnlearningAuditOptions.QuickMode with { EraserLayer = "h2" };
        var auditLeace = Assert.IsType<ConceptErasure>(UnlearningAuditExperiment.Eraser("leace", audit, 0));
        Assert.Equal(("h2", 1), (auditLeace.Layer, auditLeace.Steps));
        Assert.Equal(8, ((InlpErasure)UnlearningAuditExperiment.Eraser("inlp", audit, 0)).Rounds);
        Assert.Throws<ArgumentException>(() => UnlearningAuditExperiment.Eraser("rlace", audit, 0));
        Assert.Throws<ArgumentException>(() => ProcedureRegistry.CreateEraser("rlace", "h1", 4));
        var scrub = UnlearningTrajectoryProcedures.Create("scrub", o, 0);
        Assert.Equal(ProcedureRegistry.Create("scrub", new UnlearnOptions { Steps = o.Steps, CheckpointEvery = o.Steps / o.Checkpoints }).Hyperparameters,
            scrub.Hyperparameters);
    }
}
