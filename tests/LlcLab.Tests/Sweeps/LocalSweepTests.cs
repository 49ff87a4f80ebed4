using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

public class LocalSweepTests
{
    [Fact]
    public void Killing_a_worker_mid_cell_leaves_no_shard_and_the_rerun_finishes_only_the_missing_cell()
    {
        var dir = SweepTestSupport.NewFolder("kill");
        var plan = SweepTestSupport.PlanTiny(dir);
        var store = new ShardStore(dir);
        var (c0, c1) = (plan.Cells[0], plan.Cells[1]);

        var first = SweepTestSupport.Cli(null, "sweep", "worker", dir, "--cells", c0.Id);
        Assert.True(first.ExitCode == 0, first.Output);
        var meta0 = store.Meta(c0.Id)!;

        // Start cell 1 and kill its worker once the cell is under way.
        using (var p = SweepTestSupport.Start(null, ["sweep", "worker", dir, "--cells", c1.Id], out var output))
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(store.RunningPath(c1.Id)) && !p.HasExited && DateTime.UtcNow < until) Thread.Sleep(50);
            Thread.Sleep(1000);
            Assert.False(p.HasExited, "the worker finished before it could be killed: " + output);
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.Equal(CellState.Pending, store.State(c1.Id));
        Assert.False(File.Exists(store.ShardPath(c1.Id)));
        Assert.Throws<InvalidOperationException>(() => SweepMerge.Table(dir));           // incomplete: a clear error, no partial table
        Assert.Throws<InvalidOperationException>(() => SweepTables.Load(dir, "rq1", SweepTestSupport.TinyGrid));
        // Asked for explicitly, the interim table holds exactly the finished cell's rows, and the note says it is interim.
        var (interim, status) = SweepTables.Read(dir, "rq1", SweepTestSupport.TinyGrid, partial: true);
        Assert.Equal((1, 2), (status.Done, status.Total));
        Assert.Equal(new ShardStore(dir).Rows(c0.Id).Count, interim.Count);
        Assert.All(interim, r => Assert.Equal(0L, r.Seed));
        Assert.StartsWith("INTERIM: 1 of 2 cells", SweepTables.PartialNote(status));
        // Charts drawn from it carry the mark too (a screenshot must not pass for a final result); a finished sweep's empty note adds none.
        Plotly.NET.GenericChart Chart() => LlcLab.Plots.EffectCharts.GroupedBars([new LlcLab.Plots.BarSeries("a", ["x"], [1.0])], "t", "y");
        Assert.Contains("<b>INTERIM</b>: 1 of 2 cells finished; over the finished cells only",
            LlcLab.Plots.ChartStyle.Notes(LlcLab.Plots.ChartStyle.WithInterim(Chart(), SweepTables.PartialNote(status))));
        Assert.Empty(LlcLab.Plots.ChartStyle.Notes(LlcLab.Plots.ChartStyle.WithInterim(Chart(), "")));

        var rerun = SweepTestSupport.Cli(null, "sweep", "run", dir, "--workers", "2");
        Assert.True(rerun.ExitCode == 0, rerun.Output);
        Assert.Contains("ran 1 cell(s)", rerun.Output);
        Assert.Contains("1 were already done", rerun.Output);
        Assert.Equal(meta0, store.Meta(c0.Id));                                       // cell 0 was not recomputed
        Assert.Equal(CellState.Done, store.State(c1.Id));

        var merge = SweepTestSupport.Cli(null, "sweep", "merge", dir);
        Assert.True(merge.ExitCode == 0, merge.Output);
        Assert.Equal(SweepTestSupport.InProcessCsv, File.ReadAllText(SweepMerge.MergedPath(dir, "rq1")));
        Assert.Equal(SweepTestSupport.InProcessCsv, SweepTables.Load(dir, "rq1", SweepTestSupport.TinyGrid).ToCsv());
        Assert.Equal(SweepTestSupport.InProcessCsv, SweepTables.Load(dir, "rq1", SweepTables.ConfigJson(SweepTestSupport.TinyGrid)).ToCsv());
        Assert.Throws<InvalidDataException>(() => SweepTables.Load(dir, "rq1", SweepTestSupport.TinyGrid with { Concepts = ["ge5"] }));
        Assert.Throws<InvalidDataException>(() => SweepTables.Load(dir, "rq2"));

        // A sweep planned before a setting existed still loads: its stored configuration lacks the key, which then reads as today's
        // default on both sides (the committed RQ1 sweep predates MatchedEditOptions.FrozenMaxSteps).
        string manifestPath = Path.Combine(dir, SweepPlan.FileName);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        Assert.True(manifest["config"]!["options"]!["edits"]!.AsObject().Remove("frozen_max_steps"));
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        Assert.Equal(SweepTestSupport.InProcessCsv, SweepTables.Load(dir, "rq1", SweepTestSupport.TinyGrid).ToCsv());

        // A damaged shard is never merged.
        File.AppendAllText(store.ShardPath(c0.Id), "x");
        Assert.Equal(CellState.Pending, store.State(c0.Id));
        Assert.Throws<InvalidOperationException>(() => SweepMerge.Table(dir));
    }

    [Fact]
    public void A_failing_cell_is_reported_with_its_first_line_and_rerun_only_on_request()
    {
        var dir = SweepTestSupport.NewFolder("fail");
        var grid = SweepTestSupport.TinyGrid with { Options = SweepTestSupport.TinyGrid.Options with { Seeds = [0], Layer = "h9" } };
        File.WriteAllText(dir + ".config.json", System.Text.Json.JsonSerializer.Serialize(grid, SweepJson.Indented));
        Assert.Equal(0, SweepTestSupport.Cli(null, "sweep", "plan", dir, "--protocol", "rq1", "--config", dir + ".config.json").ExitCode);
        var run = SweepTestSupport.Cli(null, "sweep", "run", dir, "--workers", "1");
        Assert.Equal(1, run.ExitCode);
        var status = SweepStatus.Read(dir);
        Assert.Equal(1, status.Failed);
        Assert.Contains("h9", status.Cells[0].Detail);
        var again = SweepTestSupport.Cli(null, "sweep", "run", dir, "--workers", "1");
        Assert.Contains("ran 0 cell(s)", again.Output);                              // failed cells wait for --retry-failed
        var st = SweepTestSupport.Cli(null, "sweep", "status", dir);
        Assert.Contains("1 failed", st.Output);
        Assert.Contains("h9", st.Output);
    }

    [Fact]
    public void A_drain_or_a_time_budget_starts_no_new_cell_keeps_the_ones_in_flight_and_a_rerun_resumes()
    {
        var dir = SweepTestSupport.NewFolder("drain");
        var plan = SweepTestSupport.PlanTiny(dir);
        var store = new ShardStore(dir);
        var (c0, c1) = (plan.Cells[0], plan.Cells[1]);
        File.WriteAllText(LocalWorkerPool.DrainPath(dir), "stale request from an earlier run");   // must not stop the next run
        using (var p = SweepTestSupport.Start(null, ["sweep", "run", dir, "--workers", "1"], out var output))
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(store.RunningPath(c0.Id)) && !File.Exists(store.RunningPath(c1.Id)) && !p.HasExited && DateTime.UtcNow < until) Thread.Sleep(50);
            Assert.False(p.HasExited, "the run ended before a drain could be requested: " + output);
            var drain = SweepTestSupport.Cli(null, "sweep", "drain", dir);
            Assert.True(drain.ExitCode == 0, drain.Output);
            Assert.Contains("1 cell(s) in flight will finish", drain.Output);
            Assert.True(p.WaitForExit(SweepTestSupport.Timeout), "the drained run did not end");
            p.WaitForExit();
            lock (output)
            {
                Assert.Equal(0, p.ExitCode);
                Assert.Contains("drained: 1 cell(s) not started", output.ToString());
            }
        }
        // Exactly one cell finished (the one in flight), the other is still pending, and the served request is gone.
        Assert.Equal(1, new[] { c0, c1 }.Count(c => store.State(c.Id) == CellState.Done));
        Assert.Equal(1, new[] { c0, c1 }.Count(c => store.State(c.Id) == CellState.Pending));
        Assert.False(File.Exists(LocalWorkerPool.DrainPath(dir)));
        // A time budget shorter than the measured cell time starts nothing and says why; a malformed one is refused before any work.
        var tight = SweepTestSupport.Cli(null, "sweep", "run", dir, "--workers", "1", "--time-budget", "1s");
        Assert.True(tight.ExitCode == 0, tight.Output);
        Assert.Contains("time budget: 1 cell(s) not started", tight.Output);
        var bad = SweepTestSupport.Cli(null, "sweep", "run", dir, "--time-budget", "soon");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--time-budget expects a duration", bad.Output);
        var rerun = SweepTestSupport.Cli(null, "sweep", "run", dir, "--workers", "1", "--time-budget", "2h");
        Assert.True(rerun.ExitCode == 0, rerun.Output);
        Assert.Contains("ran 1 cell(s)", rerun.Output);
        Assert.Equal(SweepTestSupport.InProcessCsv, SweepTables.Load(dir, "rq1", SweepTestSupport.TinyGrid).ToCsv());
        Assert.NotEqual(0, SweepTestSupport.Cli(null, "sweep", "drain", Path.Combine(dir, "no-such-sweep")).ExitCode);
    }
}
