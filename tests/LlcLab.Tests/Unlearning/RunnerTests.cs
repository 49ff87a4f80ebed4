using LlcLab.IO;
using LlcLab.Unlearning;
using Xunit;

namespace LlcLab.Tests.Unlearning;

public class RunnerTests
{
    static readonly UnlearnOptions Short = new() { Steps = 40, Lr = 0.01, CheckpointEvery = 10 };

    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "llclab-unlearn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Cancels the run after it has evaluated <c>k</c> checkpoints (simulates an interruption).</summary>
    sealed class InterruptAfter(int k, CancellationTokenSource cts) : ICheckpointMetric
    {
        int seen;
        public string Name => "interrupt";
        public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
        {
            if (++seen >= k) cts.Cancel();
            return [];
        }
    }

    sealed class Counting : ICheckpointMetric
    {
        public int Calls;
        public string Name => "interrupt"; // same name as InterruptAfter, so the manifests match
        public IEnumerable<MetricValue> Evaluate(CheckpointContext c) { Calls++; return []; }
    }

    static IEnumerable<string> Canonical(ResultsTable t) =>
        t.Rows.Select(r => (r with { ElapsedS = null }).ToString());

    [Fact]
    public void Writes_a_tidy_table_per_checkpoint_and_resumes_after_an_interruption()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var proc = new NegGrad(Short);
        var metrics = new ICheckpointMetric[] { new AccuracyMetric(), new MembershipInferenceMetric() };

        // Uninterrupted reference run.
        var dirA = TempDir();
        var full = UnlearningRun.Execute(original, data, proc, [.. metrics, new Counting()], seed: 3, new UnlearningRunOptions { OutDir = dirA });
        Assert.Equal([0, 10, 20, 30, 40], full.Steps);
        Assert.Equal(5, full.Evaluated);
        var csv = ResultsTable.ReadCsv(Path.Combine(dirA, "metrics.csv"));
        var json = ResultsTable.ReadJson(Path.Combine(dirA, "metrics.json"));
        Assert.Equal(csv.Count, json.Count);
        Assert.All(csv, r => Assert.False(double.IsNaN(r.Value)));
        Assert.Equal(5, csv.Count(r => r.Metric == "accuracy" && r.DataSubset == "forget"));
        Assert.All(full.Steps, s => Assert.True(File.Exists(Path.Combine(dirA, "checkpoints", $"step-{s:D6}.safetensors"))));
        var forgetAcc = csv.Where(r => r.Metric == "accuracy" && r.DataSubset == "forget").OrderBy(r => r.Step).Select(r => r.Value).ToList();
        Assert.True(forgetAcc[0] > 0.95 && forgetAcc[^1] < 0.2);
        Assert.All(csv, r => Assert.Equal("neggrad", r.Procedure));

        // Interrupted after 2 checkpoints, then resumed: the final table equals the uninterrupted one.
        var dirB = TempDir();
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            UnlearningRun.Execute(original, data, proc, [.. metrics, new InterruptAfter(2, cts)], seed: 3,
                new UnlearningRunOptions { OutDir = dirB }, cts.Token));
        Assert.Equal(2, ResultsTable.ReadCsv(Path.Combine(dirB, "metrics.csv")).Select(r => r.Step).Distinct().Count());
        var counting = new Counting();
        var resumed = UnlearningRun.Execute(original, data, proc, [.. metrics, counting], seed: 3, new UnlearningRunOptions { OutDir = dirB });
        Assert.Equal(2, resumed.Resumed);
        Assert.Equal(3, resumed.Evaluated);
        Assert.Equal(3, counting.Calls);
        Assert.Equal(Canonical(csv), Canonical(ResultsTable.ReadCsv(Path.Combine(dirB, "metrics.csv"))));
        Assert.Equal(Canonical(json), Canonical(ResultsTable.ReadJson(Path.Combine(dirB, "metrics.json"))));
        var a = SafeTensors.Read(Path.Combine(dirA, "checkpoints", "step-000040.safetensors"));
        var b = SafeTensors.Read(Path.Combine(dirB, "checkpoints", "step-000040.safetensors"));
        Assert.All(a, kv => Assert.True(kv.Value.eq(b[kv.Key]).all().item<bool>()));

        // Rerunning a finished run evaluates nothing.
        var again = UnlearningRun.Execute(original, data, proc, [.. metrics, new Counting()], seed: 3, new UnlearningRunOptions { OutDir = dirB });
        Assert.Equal(0, again.Evaluated);

        // A different run in the same folder is refused with a clear message.
        var e = Assert.Throws<InvalidOperationException>(() =>
            UnlearningRun.Execute(original, data, new NegGrad(Short with { Lr = 0.02 }), [.. metrics, new Counting()], seed: 3, new UnlearningRunOptions { OutDir = dirB }));
        Assert.Contains("hp.lr", e.Message);
        Assert.Contains("new --out", e.Message);
        Directory.Delete(dirA, true);
        Directory.Delete(dirB, true);
    }

    [Fact]
    public void Diverging_run_writes_no_nan_and_no_checkpoint_past_the_divergence()
    {
        using var original = UnlearningFixture.Original();
        var dir = TempDir();
        var e = Assert.Throws<UnlearningDivergedException>(() => UnlearningRun.Execute(original, UnlearningFixture.Data,
            new NegGrad(Short with { Lr = 1e6, Momentum = 0 }), [new AccuracyMetric()], seed: 0, new UnlearningRunOptions { OutDir = dir }));
        var table = ResultsTable.ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.All(table, r => Assert.True(double.IsFinite(r.Value)));
        Assert.Equal([0L], table.Select(r => r.Step!.Value).Distinct());
        Assert.Equal(["step-000000.safetensors"], Directory.GetFiles(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName));
        Assert.Contains("neggrad", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Gap_to_retrain_is_zero_for_the_retrained_model_itself()
    {
        using var original = UnlearningFixture.Original();
        var data = UnlearningFixture.Data;
        var metrics = new ICheckpointMetric[] { new AccuracyMetric() };
        var retrain = UnlearningRun.Execute(original, data, new Retrain(Short with { Steps = 20 }), metrics, seed: 1);
        var gap = new RetrainGap(retrain.Final);
        var same = UnlearningRun.Execute(original, data, new Retrain(Short with { Steps = 20 }), metrics, seed: 1, new UnlearningRunOptions { RetrainGap = gap });
        var finalGaps = same.Table.Where(r => r.Step == 20 && r.Metric.EndsWith(RetrainGap.Suffix)).ToList();
        Assert.Equal(6, finalGaps.Count); // accuracy and loss on forget, retain, test
        Assert.All(finalGaps, r => Assert.Equal(0.0, r.Value));

        var neg = UnlearningRun.Execute(original, data, new NegGrad(Short), metrics, seed: 1, new UnlearningRunOptions { RetrainGap = gap });
        var g0 = neg.Table.Single(r => r.Step == 0 && r.Metric == "accuracy" + RetrainGap.Suffix && r.DataSubset == "forget").Value;
        var acc0 = neg.Table.Single(r => r.Step == 0 && r.Metric == "accuracy" && r.DataSubset == "forget").Value;
        var ref0 = retrain.Final.Single(v => v.Metric == "accuracy" && v.DataSubset == "forget").Value;
        Assert.Equal(acc0 - ref0, g0, 12);
        Assert.True(g0 > 0.5, "the original model knows D_f, the retrained one does not");
    }
}
