using LlcLab.Analysis;
using LlcLab.IO;
using Xunit;

namespace LlcLab.Tests.Experiments;

public class UnlearningChecksTests
{
    // One seed, hand-made values: "deep" unlearns like retrain on every measure; "shallow" only zeroes forget accuracy (λ̂ and relearning
    // stay like the original's); "none" changes nothing.
    static ExperimentResult Table(double retrainLlcStd = 0.2)
    {
        var t = new ResultsTable();
        void Add(string proc, string metric, string subset, double v, double? std = null, string? layer = null) =>
            t.Add(new ResultRow { Experiment = "rq4", Model = "m", Procedure = proc, Seed = 0, Metric = metric, Value = v, Std = std, NChains = std is null ? null : 4, DataSubset = subset, Layer = layer });
        foreach (var (p, acc, auc, relearn, llc, llcF) in new[]
        {
            ("original", 1.0, 0.50, 0.0, 4.0, 20.0), ("retrain", 0.0, 0.05, 5.0, 6.0, -100.0),
            ("deep", 0.0, 0.06, 5.0, 6.2, -80.0), ("shallow", 0.0, 0.45, 0.0, 4.1, 15.0), ("none", 1.0, 0.50, 0.0, 3.9, 25.0),
        })
        {
            Add(p, "accuracy", "forget", acc); Add(p, "mia_auc", "forget_vs_test", auc); Add(p, "relearn_steps", "forget", relearn);
            Add(p, "probe_accuracy", "test_halves", 0.97, layer: "h1");
            Add(p, "llc", "retain", llc, p == "retrain" ? retrainLlcStd : 0.2); Add(p, "llc_forget", "forget", llcF, 10);
        }
        return new ExperimentResult("rq4", t);
    }

    [Fact]
    public void Progress_IsZeroAtTheOriginal_OneAtRetrain_AndUnresolvedGapsGiveNoVerdict()
    {
        var c = new UnlearningChecks(Table());
        Assert.Equal(1.0, c.Progress(UnlearningChecks.RetainLlc, "retrain", 0));
        Assert.Equal(0.0, c.Progress(UnlearningChecks.RetainLlc, "original", 0));
        Assert.Equal(0.05, c.Progress(UnlearningChecks.RetainLlc, "shallow", 0)!.Value, 10);
        Assert.True(c.Verdict(UnlearningChecks.RetainLlc, "deep", 0));
        Assert.False(c.Verdict(UnlearningChecks.RetainLlc, "shallow", 0));
        var probe = UnlearningChecks.Behavioural("h1").Single(m => m.Name == "probe accuracy");
        Assert.Null(c.Verdict(probe, "deep", 0));                           // no retrain − original gap in probe accuracy
        Assert.True(c.NoReferenceVerdict("deep", 0));
        Assert.False(c.NoReferenceVerdict("none", 0));
        // A retrain λ̂ as noisy as its gap (std 8 over 4 chains: 2 s.e. ≈ 8 > 2) resolves nothing.
        var noisy = new UnlearningChecks(Table(retrainLlcStd: 8));
        Assert.Null(noisy.Verdict(UnlearningChecks.RetainLlc, "deep", 0));
        Assert.Null(noisy.NoReferenceVerdict("deep", 0));
    }

    [Fact]
    public void Compare_CountsAgreementPerCheckAndMeasure_AndListsTheShallowProcedureAsTheFailureCase()
    {
        var c = new UnlearningChecks(Table());
        var runs = new[] { ("deep", 0L), ("shallow", 0L), ("none", 0L) };
        var (agreement, disagreements) = c.Compare(runs, UnlearningChecks.Behavioural("h1"));
        var retainVsAcc = agreement.Single(a => a.Check == UnlearningChecks.RetainLlc.Name && a.Measure == "forget accuracy");
        Assert.Equal((2, 3), (retainVsAcc.Agree, retainVsAcc.Judged));        // shallow: accuracy says unlearned, λ̂ says not
        Assert.Equal(2, retainVsAcc.Majority);                                  // accuracy: deep and shallow unlearned, none not
        var retainVsRelearn = agreement.Single(a => a.Check == UnlearningChecks.RetainLlc.Name && a.Measure == "relearn steps");
        Assert.Equal((3, 3), (retainVsRelearn.Agree, retainVsRelearn.Judged));
        Assert.All(agreement.Where(a => a.Measure == "probe accuracy"), a => Assert.Equal(0, a.Judged));
        var d = Assert.Single(disagreements, x => x.Check == UnlearningChecks.RetainLlc.Name);
        Assert.Equal(("shallow", false, true), (d.Procedure, d.CheckSaysUnlearned, d.MeasureSaysUnlearned));
        var rows = UnlearningChecks.ToRows(agreement, "06").ToList();
        Assert.Equal(agreement.Count, rows.Count(r => r.Metric == "check_judged"));
        Assert.Equal(agreement.Count(a => a.Judged > 0), rows.Count(r => r.Metric == "check_agreement"));
        Assert.Equal(agreement.Count(a => a.Judged > 0), rows.Count(r => r.Metric == "check_majority_baseline"));
        Assert.Throws<ArgumentException>(() => new UnlearningChecks(new ExperimentResult("x", new ResultsTable(Table().Table.Where(r => r.Procedure != "retrain")))));
    }
}
