using LlcLab.Erasure;
using LlcLab.Protocols;
using Xunit;

namespace LlcLab.Tests.Experiments;

/// <summary>INLP and RLACE in the notebook-02 comparison, the INLP trace and the verdict text.</summary>
public class ErasureCoverageTests
{
    [Fact]
    public void InlpAndRlace_AreComparedWithLeace_OnSyntheticData()
    {
        var data = ErasureComparison.Synthetic(n: 2000, dim: 8, seed: 3);
        var o = ErasureComparison.Run(data.X, data.Z, EraserRegistry.Names, seed: 0);
        Assert.Equal(new[] { "leace", "orth", "meandiff", "inlp", "rlace" }, o.Select(q => q.Method));
        var leace = o.Single(q => q.Method == "leace");
        var inlp = o.Single(q => q.Method == "inlp");
        var rlace = o.Single(q => q.Method == "rlace");
        Assert.True(leace.ProbeAccuracyBefore > 0.7, $"probe before {leace.ProbeAccuracyBefore}");
        // INLP iterates until its own probe is at chance: the held-out probe must be near chance too, at a larger rank and edit.
        Assert.True(inlp.ProbeAccuracyAfter < inlp.Chance + 0.06, $"INLP leaves {inlp.ProbeAccuracyAfter} (chance {inlp.Chance})");
        Assert.True(inlp.Rank >= 1);
        Assert.True(inlp.MeanSquaredEdit >= leace.MeanSquaredEdit, "LEACE's edit is minimal among erasers that reach chance");
        // RLACE (rank 1): a rank-1 orthogonal projection reaching chance exists (the mean-difference one), and the game must find it.
        Assert.Equal(1, rlace.Rank);
        Assert.True(rlace.ProbeAccuracyAfter <= rlace.Chance + 0.03, $"RLACE: {rlace.ProbeAccuracyBefore} → {rlace.ProbeAccuracyAfter} (chance {rlace.Chance})");
        foreach (var q in o)
        {
            // Jensen: mean ‖x′ − x‖ ≤ √(mean ‖x′ − x‖²), and every method edits something.
            Assert.True(q.MeanEditNorm > 0 && q.MeanEditNorm <= Math.Sqrt(q.MeanSquaredEdit) + 1e-9, $"{q.Method}: {q.MeanEditNorm} vs {q.MeanSquaredEdit}");
        }
        var verdicts = ErasureComparison.Verdicts(o);
        Assert.Contains("leace has the smallest edit", verdicts);
        Assert.Contains("rlace", verdicts);
    }

    [Fact]
    public void InlpTrace_StartsAtTheUnerasedProbe_AndAddsOneDirectionPerRound()
    {
        var data = ErasureComparison.Synthetic(n: 2000, dim: 8, seed: 3);
        var trace = InlpTrace.Run(data.X, data.Z, seed: 0);
        var before = ErasureComparison.Run(data.X, data.Z, new[] { "leace" }, seed: 0)[0].ProbeAccuracyBefore;
        Assert.Equal(0, trace[0].Rank);
        Assert.Equal(before, trace[0].ProbeAccuracy, 10);
        Assert.True(trace.Count >= 2);
        for (int i = 1; i < trace.Count; i++)
        {
            Assert.Equal(i, trace[i].Rank);                                   // binary concept: one direction per round
            Assert.True(trace[i].MeanSquaredEdit > trace[i - 1].MeanSquaredEdit);
        }
        Assert.True(trace[^1].ProbeAccuracy < trace[0].ProbeAccuracy - 0.15, $"{trace[0].ProbeAccuracy} → {trace[^1].ProbeAccuracy}");
        var rows = InlpTrace.ToRows(trace, "t", "m").ToList();
        Assert.Equal(2 * trace.Count, rows.Count);
    }

    [Fact]
    public void UnknownMethod_NamesTheAvailableOnes()
    {
        var data = ErasureComparison.Synthetic(n: 100, dim: 4, seed: 0);
        var e = Assert.Throws<ArgumentException>(() => EraserRegistry.Fit("nope", data.X, data.Z));
        Assert.Contains("inlp", e.Message);
        Assert.Contains("rlace", e.Message);
    }
}
