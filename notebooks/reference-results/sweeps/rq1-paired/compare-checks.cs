#:project ../../../../lib/LlcLab/LlcLab.csproj
#:property PublishAot=false
// What the paired minimum check changed in RQ1. This sweep re-ran the rq1 sweep (../rq1, code def097d, unpaired check) with the same
// configuration at code dfd93fe, where the minibatch minimum check compares each fifth draw's loss with w*'s loss on the same batch
// (PairedLossObserver). The sampler's random streams did not change, so every value should be the same except the minimum check
// (llc*_check_below_init_loss) and the validity flags that depend on it. This script checks that over the seeds both sweeps have, and
// counts the flips of each check by estimate. Run from the repository root:
//   dotnet run notebooks/reference-results/sweeps/rq1-paired/compare-checks.cs
using LlcLab.IO; using LlcLab.Sweeps;
var oldR = SweepTables.LoadExperiment("notebooks/reference-results/sweeps/rq1", "rq1", partial: true);
var newR = SweepTables.LoadExperiment("notebooks/reference-results/sweeps/rq1-paired", "rq1", partial: true, note: Console.WriteLine);
static (string, long?, long?, string, string?, string?) Key(ResultRow r) => (r.Procedure, r.Step, r.Seed, r.Metric, r.Layer, r.DataSubset);
var oldRows = oldR.Table.Rows.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
static bool IsCheck(string m) => m.EndsWith("_valid", StringComparison.Ordinal) || m.Contains("_check_", StringComparison.Ordinal);
int same = 0, differ = 0, missing = 0;
var flips = new SortedDictionary<string, (int Pass, int ToFail, int ToPass, int Fail)>(StringComparer.Ordinal);
foreach (var r in newR.Table.Rows)
{
    if (!oldRows.TryGetValue(Key(r), out var o)) { missing++; continue; }
    if (!IsCheck(r.Metric))
    {
        bool eq = r.Value.Equals(o.Value) && Nullable.Equals(r.Std, o.Std);
        if (eq) same++; else { differ++; if (differ <= 10) Console.WriteLine($"differs: {r.Procedure} seed {r.Seed} {r.Metric}: {o.Value:R} → {r.Value:R}"); }
        continue;
    }
    var f = flips.GetValueOrDefault(r.Metric);
    bool was = o.Value > 0.5, now = r.Value > 0.5;
    flips[r.Metric] = (f.Pass + (was && now ? 1 : 0), f.ToFail + (was && !now ? 1 : 0), f.ToPass + (!was && now ? 1 : 0), f.Fail + (!was && !now ? 1 : 0));
}
var seeds = newR.Table.Rows.Select(r => r.Seed).Where(s => s is not null).Distinct().Count();
Console.WriteLine($"{seeds} seeds in both: {same} value rows identical, {differ} differ, {missing} rows without a counterpart");
Console.WriteLine($"{"check",-52} {"pass→pass",10} {"pass→FAIL",10} {"fail→PASS",10} {"fail→fail",10}");
foreach (var (m, f) in flips)
    if (m.Contains("below_init_loss") || m.EndsWith("_valid", StringComparison.Ordinal))
        Console.WriteLine($"{m,-52} {f.Pass,10} {f.ToFail,10} {f.ToPass,10} {f.Fail,10}");
