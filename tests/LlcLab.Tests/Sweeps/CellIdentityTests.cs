using LlcLab.Protocols;
using LlcLab.Tasks;
using LlcLab.Sweeps;
using Xunit;

namespace LlcLab.Tests.Sweeps;

public class CellIdentityTests
{
    static readonly ErasureLlcSweep Rq1 = new();
    static string Config(ErasureLlcGrid g) => SweepJson.Canonical(g);

    [Fact]
    public void Same_inputs_give_the_same_ids_and_any_changed_input_or_code_version_a_new_one()
    {
        var grid = SweepTestSupport.TinyGrid;
        var a = SweepPlan.Create(Rq1, Config(grid), "v1");
        var b = SweepPlan.Create(Rq1, Config(grid), "v1");
        Assert.Equal(a.Cells.Select(c => c.Id), b.Cells.Select(c => c.Id));
        Assert.Equal(2, a.Cells.Count);
        Assert.NotEqual(a.Cells[0].Id, a.Cells[1].Id);                                   // the seed is an input

        var changed = new[]
        {
            grid with { Options = grid.Options with { MaxFineTuneSteps = 301 } },
            grid with { Options = grid.Options with { Sgld = grid.Options.Sgld! with { Draws = 101 } } },
            grid with { Options = grid.Options with { Strengths = [0.0, 0.5] } },
            grid with { Concepts = ["ge5"] },
        };
        foreach (var g in changed)
        {
            var c = SweepPlan.Create(Rq1, Config(g), "v1");
            Assert.NotEqual(a.Cells[0].Id, c.Cells[0].Id);
        }
        Assert.NotEqual(a.Cells[0].Id, SweepPlan.Create(Rq1, Config(grid), "v2").Cells[0].Id); // code version
        // A seed added at the end keeps the earlier cells' ids (their shards are reused), and the merge order.
        var more = SweepPlan.Create(Rq1, Config(grid with { Options = grid.Options with { Seeds = [0, 1, 2] } }), "v1");
        Assert.Equal(a.Cells.Select(c => c.Id), more.Cells.Take(2).Select(c => c.Id));
    }

    [Fact]
    public void The_grid_crosses_architectures_concepts_and_seeds_in_a_fixed_order()
    {
        var grid = new ErasureLlcGrid { Options = ErasureLlcOptions.QuickMode with { Data = ConceptTask.DigitsName }, Archs = ["mlp:64-16-10:relu", "mlp:64-32-10:relu"], Concepts = ["parity", "ge5"] };
        var plan = SweepPlan.Create(Rq1, Config(grid), "v1");
        Assert.Equal(8, plan.Cells.Count);
        Assert.Equal("mlp:64-16-10:relu parity h1 seed 0 (quick)", plan.Cells[0].Label);
        Assert.Equal("mlp:64-16-10:relu parity h1 seed 1 (quick)", plan.Cells[1].Label);
        Assert.Equal("mlp:64-32-10:relu ge5 h1 seed 1 (quick)", plan.Cells[7].Label);
        var cell = Rq1.ParseCell(plan.Cells[7].Input);
        Assert.Equal([1L], cell.Seeds);
        Assert.Equal("ge5", cell.Concept);
    }

    [Fact]
    public void Bad_configurations_are_clear_errors()
    {
        var e = Assert.Throws<InvalidDataException>(() => SweepPlan.Create(Rq1, """{"options": {"seedz": [1]}}""", "v1"));
        Assert.Contains("seedz", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SweepPlan.Create(Rq1, """{"options": {"seeds": [1, 1]}}""", "v1"));
        Assert.Contains("duplicates", e.Message);
        Assert.Throws<ArgumentException>(() => SweepProtocols.Get("rq9"));
    }

    [Fact]
    public void A_plan_round_trips_through_sweep_json_and_a_worker_refuses_ids_of_other_code()
    {
        var dir = SweepTestSupport.NewFolder("plan");
        var plan = SweepPlan.Create(Rq1, Config(SweepTestSupport.TinyGrid), "some-other-build");
        plan.Save(dir);
        var back = SweepPlan.Load(dir);
        Assert.Equal(plan.Cells, back.Cells);
        Assert.Equal(plan.Config, back.Config);
        var e = Assert.Throws<InvalidOperationException>(() => CellRunner.Run(dir));
        Assert.Contains("sweep plan", e.Message);
        Assert.Equal(CellState.Pending, new ShardStore(dir).State(plan.Cells[0].Id));
        Assert.Throws<FileNotFoundException>(() => SweepPlan.Load(Path.Combine(dir, "nothing")));
    }
}
