using System.Text.Json;
using LlcLab.IO;
using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

public class ShardStoreTests
{
    static readonly PlannedCell Cell = new(0, CellId.Compute("rq1", "{}", "v"), "a cell", "{}");

    static ResultsTable Rows() => new ResultsTable().Add(new ResultRow { Experiment = "e", Model = "m", Metric = "llc", Value = 1.5, ElapsedS = 3.25 });

    [Fact]
    public void A_cell_is_done_only_when_its_metadata_matches_its_shard()
    {
        var store = new ShardStore(SweepTestSupport.NewFolder("store"));
        Assert.Equal(CellState.Pending, store.State(Cell.Id));
        store.MarkRunning(Cell.Id);
        Assert.Equal(CellState.Running, store.State(Cell.Id));                       // this live process
        var meta = store.WriteDone(Cell, "v", Rows(), 1.0, "cpu", 1);
        Assert.Equal(CellState.Done, store.State(Cell.Id));
        Assert.False(File.Exists(store.RunningPath(Cell.Id)));
        Assert.Equal(1, meta.Rows);
        Assert.Equal(3.25, store.Rows(Cell.Id)[0].ElapsedS);                          // shards keep the timing …
        Assert.Null(SweepMerge.Canonical(store.Rows(Cell.Id))[0].ElapsedS);           // … merged tables do not
        File.WriteAllText(store.ShardPath(Cell.Id), Rows().ToCsv().Replace("1.5", "2.5"));
        Assert.Equal(CellState.Pending, store.State(Cell.Id));
        Assert.Throws<InvalidDataException>(() => store.Rows(Cell.Id));
    }

    [Fact]
    public void Markers_of_dead_workers_go_stale_also_from_other_nodes()
    {
        var store = new ShardStore(SweepTestSupport.NewFolder("stale"));
        void Marker(string host, int pid, TimeSpan age) => AtomicFile.WriteAllText(store.RunningPath(Cell.Id),
            JsonSerializer.Serialize(new CellRunning(host, pid, DateTime.UtcNow - age, DateTime.UtcNow - age), SweepJson.Compact));
        Marker("some-other-node", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(CellState.Running, store.State(Cell.Id));
        Marker("some-other-node", 1, ShardStore.StaleAfter + TimeSpan.FromMinutes(1));     // e.g. a task killed at Slurm's time limit
        Assert.Equal(CellState.Pending, store.State(Cell.Id));
        Marker(Environment.MachineName, int.MaxValue, TimeSpan.Zero);                       // this host, no such process
        Assert.Equal(CellState.Pending, store.State(Cell.Id));
        store.WriteFailure(Cell.Id, new ArgumentException("bad layer\nsecond line"));
        Assert.Equal(CellState.Failed, store.State(Cell.Id));
        Assert.Equal("ArgumentException: bad layer second line", store.FailureLine(Cell.Id));
    }
}
