using System.Text;
using LlcLab.IO;
using LlcLab.Protocols;
using LlcLab.Tasks;

namespace LlcLab.Analysis;

/// <summary>
/// One architecture's RQ3 numbers over its seeds. ΔLLC = λ̂(leace-finetuned) − λ̂(none), paired by seed, over the seeds whose two
/// estimates both pass validity (<see cref="ArchitectureSummaries.Valid"/>: <c>llc_strict_valid</c> — at a minimum, R̂ ≤ 1.1, MALA ≥ 0.9 —
/// where the table has it, else <c>llc_valid</c>, else <c>at_minimum</c>) (<see cref="ValidSeeds"/>); the other seeds are counted in
/// <see cref="ExcludedSeeds"/> and left out of every mean here. <see cref="DeltaControl"/>: λ̂(none-finetuned) − λ̂(none), the
/// training-length-matched control. <see cref="Excess"/>: λ̂(leace-finetuned) − λ̂(null-finetuned) = ΔLLC(concept) − ΔLLC(null), paired
/// over the seeds where both pass (<see cref="ExcessSeeds"/>, <see cref="ExcessExcluded"/>), with a 95 % t-interval — the part of ΔLLC
/// owed to erasing the concept rather than to an edit of the same layer, rank and spectrum. <see cref="DeltaInserted"/> (eraser inserted,
/// not fine-tuned) uses all seeds and is descriptive only.
/// </summary>
public sealed record ArchitectureSummary(string Arch, string Family, double Parameters, int ValidSeeds, int ExcludedSeeds,
    double Before, double After, Summary? Delta, Summary? DeltaControl, Summary? DeltaInserted, double MeanMala, double MeanBelow,
    double TestAccuracyBefore, double TestAccuracyAfter, double ProbeBefore, double ProbeAfter, double FineTuneEpochs, double ProbeDownstreamTuned = double.NaN)
{
    /// <summary>ΔLLC relative to λ̂ before (NaN without valid seeds).</summary>
    public double RelativeDelta => Delta is null ? double.NaN : Delta.Mean / Before;
    /// <summary>λ̂(null-finetuned) − λ̂(none) over the seeds where both pass validity.</summary>
    public Summary? DeltaNull { get; init; }
    /// <summary>λ̂(leace-finetuned) − λ̂(null-finetuned), paired by seed over the seeds where both pass validity, for the null edit
    /// <see cref="NullEdit"/>: of the nulls in the table, the one that leaves the least excess (lowest 95 % CI lower end; lowest mean
    /// when no null has two seeds) — "beyond every matched null" is then read from this one number. Each null's own excess is in
    /// <see cref="ExcessByNull"/>.</summary>
    public Summary? Excess { get; init; }
    /// <summary>The excess over each null edit in the table (name → paired summary, null when no seed pair is valid).</summary>
    public IReadOnlyDictionary<string, Summary?> ExcessByNull { get; init; } = new Dictionary<string, Summary?>();
    /// <summary>Seeds in <see cref="Excess"/>.</summary>
    public int ExcessSeeds { get; init; }
    /// <summary>Seeds with both estimates but excluded from <see cref="Excess"/> (one failed validity).</summary>
    public int ExcessExcluded { get; init; }
    /// <summary>λ̂(leace-finetuned) − λ̂(none-finetuned): the erasure's effect beyond the same amount of training.</summary>
    public Summary? ExcessOverControl { get; init; }
    /// <summary>Mean split-R̂ over the architecture's estimates.</summary>
    public double MeanRHat { get; init; } = double.NaN;
    /// <summary>Mean out-of-sample probe accuracy at the erased layer(s) after erasure and downstream fine-tuning, minus its chance level.</summary>
    public double ProbeAboveChance { get; init; } = double.NaN;
    /// <summary>Name of the null edit in <see cref="Excess"/> (e.g. null-invertible), or null when the table has none.</summary>
    public string? NullEdit { get; init; }
    /// <summary>Mean optimizer steps of the fine-tuning (erased run; the control and the null get exactly these).</summary>
    public double FineTuneSteps { get; init; } = double.NaN;
    /// <summary>"+" when the excess over <em>every</em> null edit has a 95 % CI above 0, "−" when every one lies below 0, "0" otherwise
    /// (an interval contains 0, or the nulls disagree in sign), "n/a" when some null has fewer than two paired seeds (or there is none).</summary>
    public string ExcessSign
    {
        get
        {
            var all = ExcessByNull.Count > 0 ? ExcessByNull.Values.ToList() : [Excess];
            if (all.Any(e => e is not { N: > 1 })) return "n/a";
            return all.All(e => e!.CiLow > 0) ? "+" : all.All(e => e!.CiHigh < 0) ? "−" : "0";
        }
    }
}

/// <summary>λ̂ and ΔLLC of one architecture at one γ of the ladder (<c>llc</c> at the chosen γ, <c>llc_gamma</c> at the others), over
/// the ladder seeds; <see cref="Excess"/> = λ̂(leace-finetuned) − λ̂(null-finetuned).</summary>
public sealed record GammaLadderPoint(string Arch, string Family, double Gamma, Summary? Before, Summary? After, Summary? Null, Summary? Delta, Summary? Excess, int Seeds);

/// <summary>Summaries of an <see cref="ArchitectureSweepExperiment"/> result.</summary>
public static class ArchitectureSummaries
{
    /// <summary>Whether the estimate of <paramref name="metric"/> at (procedure, seed) passes validity: <c>{metric}_strict_valid</c> when present,
    /// else <c>{metric}_valid</c>, else <c>at_minimum</c> (tables written before those existed).</summary>
    public static bool Valid(ExperimentResult r, string arch, string proc, long seed, string metric = "llc", double? gamma = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        double V(string m) => r.Rows(m, proc, model: arch).Where(q => q.Seed == seed && (gamma is null || q.Localization is null || Math.Abs(q.Localization.Value - gamma.Value) < 1e-9 * gamma.Value))
            .Select(q => q.Value).DefaultIfEmpty(double.NaN).First();
        foreach (var m in new[] { metric + "_strict_valid", metric + "_valid", "at_minimum" })
            if (double.IsFinite(V(m))) return V(m) == 1;
        return true;
    }

    /// <summary>One summary per architecture, in the order of first appearance.</summary>
    public static IReadOnlyList<ArchitectureSummary> From(ExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        const string B = ArchitectureSweepExperiment.Before, F = ArchitectureSweepExperiment.FineTuned,
            I = ArchitectureSweepExperiment.Inserted, C = ArchitectureSweepExperiment.ControlFineTuned;
        var nullProcs = NullProcedures(r);
        var list = new List<ArchitectureSummary>();
        foreach (var arch in r.Table.Select(q => q.Model).Distinct())
        {
            double V(string metric, string proc, long seed) =>
                r.Rows(metric, proc, model: arch).Where(q => q.Seed == seed).Select(q => q.Value).DefaultIfEmpty(double.NaN).First();
            double Mean(string metric, string proc, IEnumerable<long> seeds) =>
                seeds.Select(s => V(metric, proc, s)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var seeds = r.Rows("llc", B, model: arch).Select(q => q.Seed ?? 0).Distinct().Order().ToList();
            var withAfter = seeds.Where(s => double.IsFinite(V("llc", F, s))).ToList();
            bool Ok(string proc, long s) => Valid(r, arch, proc, s);
            var valid = withAfter.Where(s => Ok(B, s) && Ok(F, s)).ToList();
            Summary? Diff(string a, string b, IEnumerable<long> ss)
            {
                var d = ss.Select(s => V("llc", a, s) - V("llc", b, s)).Where(double.IsFinite).ToArray();
                return d.Length == 0 ? null : Stats.Summarize(d);
            }
            var validControl = valid.Where(s => Ok(C, s)).ToList();
            var s0 = new ArchitectureSummary(arch, ArchitectureTask.FamilyOf(arch), Mean("parameters", B, seeds), valid.Count, withAfter.Count - valid.Count,
                Mean("llc", B, valid), Mean("llc", F, valid), Diff(F, B, valid), Diff(C, B, validControl), Diff(I, B, seeds),
                r.Rows("mala_acceptance", model: arch).Select(q => q.Value).DefaultIfEmpty(double.NaN).Average(),
                r.Rows("fraction_below_init_loss", model: arch).Select(q => q.Value).DefaultIfEmpty(double.NaN).Average(),
                Mean("test_accuracy", B, seeds), Mean("test_accuracy", F, seeds), Mean("probe_accuracy", B, seeds), Mean("probe_accuracy", F, seeds),
                Mean("finetune_epochs", F, seeds), Mean("probe_accuracy_downstream_tuned", F, seeds));
            // Every null's paired excess; the headline is the null that leaves the least.
            var perNull = nullProcs.Select(np =>
            {
                var both = seeds.Where(s => double.IsFinite(V("llc", F, s)) && double.IsFinite(V("llc", np, s))).ToList();
                var ok = both.Where(s => Ok(F, s) && Ok(np, s)).ToList();
                return (Proc: np, Both: both, Ok: ok, Excess: Diff(F, np, ok));
            }).ToList();
            var head = perNull.OrderBy(q => q.Excess is null ? 1 : 0)
                .ThenBy(q => q.Excess is { N: > 1 } e ? e.CiLow : q.Excess?.Mean ?? double.PositiveInfinity).FirstOrDefault();
            string? nullProc = head.Proc;
            var probeOver = r.Rows("probe_accuracy_downstream_tuned", F, model: arch).Select(q => q.Value)
                .Zip(r.Rows("probe_accuracy_downstream_tuned_chance", F, model: arch).Select(q => q.Value), (a, c) => a - c).ToArray();
            list.Add(s0 with
            {
                NullEdit = nullProc?[..^"-finetuned".Length],
                DeltaNull = nullProc is null ? null : Diff(nullProc, B, valid.Where(s => Ok(nullProc, s))),
                Excess = head.Excess,
                ExcessByNull = perNull.ToDictionary(q => q.Proc[..^"-finetuned".Length], q => q.Excess),
                ExcessSeeds = head.Ok?.Count ?? 0, ExcessExcluded = (head.Both?.Count ?? 0) - (head.Ok?.Count ?? 0),
                ExcessOverControl = Diff(F, C, withAfter.Where(s => Ok(F, s) && Ok(C, s))),
                MeanRHat = r.Rows("r_hat", model: arch).Select(q => q.Value).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(),
                ProbeAboveChance = probeOver.Length == 0 ? double.NaN : probeOver.Average(),
                FineTuneSteps = Mean("finetune_steps", F, seeds),
            });
        }
        return list;
    }

    /// <summary>λ̂ and ΔLLC along the γ ladder, per architecture and γ (the chosen γ from the <c>llc</c> rows of the ladder seeds, the
    /// others from <c>llc_gamma</c>); only estimates that pass validity enter.</summary>
    public static IReadOnlyList<GammaLadderPoint> GammaLadder(ExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        const string B = ArchitectureSweepExperiment.Before, F = ArchitectureSweepExperiment.FineTuned;
        // The ladder's excess is over each architecture's headline null (From: the one that leaves the least excess).
        var headline = From(r).ToDictionary(s => s.Arch, s => s.NullEdit is { } n ? ArchitectureSweepExperiment.NullFineTuned(n) : null);
        var points = new List<GammaLadderPoint>();
        foreach (var arch in r.Table.Select(q => q.Model).Distinct())
        {
            string? nullProc = headline.GetValueOrDefault(arch);
            var ladder = r.Rows("llc_gamma", model: arch).ToList();
            if (ladder.Count == 0) continue;
            var ladderSeeds = ladder.Select(q => q.Seed ?? 0).Distinct().ToHashSet();
            var rows = ladder.Select(q => (Row: q, Metric: "llc_gamma"))
                .Concat(r.Rows("llc", model: arch).Where(q => ladderSeeds.Contains(q.Seed ?? 0)).Select(q => (Row: q, Metric: "llc"))).ToList();
            foreach (var g in rows.Where(q => q.Row.Localization is not null).Select(q => q.Row.Localization!.Value).Distinct().Order())
            {
                Dictionary<long, double> At(string proc) => rows.Where(q => q.Row.Procedure == proc && q.Row.Localization is { } l && Math.Abs(l - g) < 1e-9 * g
                        && Valid(r, arch, proc, q.Row.Seed ?? 0, q.Metric, q.Metric == "llc_gamma" ? g : null))
                    .GroupBy(q => q.Row.Seed ?? 0).ToDictionary(q => q.Key, q => q.First().Row.Value);
                var (b, f, n) = (At(B), At(F), nullProc is null ? new Dictionary<long, double>() : At(nullProc));
                Summary? S(IEnumerable<double> v) => v.ToArray() is { Length: > 0 } a ? Stats.Summarize(a) : null;
                points.Add(new GammaLadderPoint(arch, ArchitectureTask.FamilyOf(arch), g, S(b.Values), S(f.Values), S(n.Values),
                    S(f.Keys.Intersect(b.Keys).Select(k => f[k] - b[k])), S(f.Keys.Intersect(n.Keys).Select(k => f[k] - n[k])), ladderSeeds.Count));
            }
        }
        return points;
    }

    /// <summary>The fine-tuned null-edit procedures in the table (<c>null-…-finetuned</c>), in order of first appearance.</summary>
    public static IReadOnlyList<string> NullProcedures(ExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.Table.Select(q => q.Procedure).Where(p => p is not null && p.StartsWith("null-", StringComparison.Ordinal) && p.EndsWith("-finetuned", StringComparison.Ordinal))
            .Select(p => p!).Distinct().ToList();
    }

    /// <summary>Relative spread (max − min)/|mean| of a quantity over an architecture's γ ladder (NaN with fewer than two finite values).</summary>
    public static double RelativeSpread(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        return v.Length < 2 || v.Average() == 0 ? double.NaN : (v.Max() - v.Min()) / Math.Abs(v.Average());
    }

    /// <summary>A fixed-width text table (one line per architecture).</summary>
    public static string ToText(IEnumerable<ArchitectureSummary> rows)
    {
        static string Ci(Summary? s) => s is null ? "n/a" : s.N > 1 ? FormattableString.Invariant($"{s.Mean:+0.00;-0.00;0.00} [{s.CiLow:+0.0;-0.0;0.0}, {s.CiHigh:+0.0;-0.0;0.0}]") : FormattableString.Invariant($"{s.Mean:+0.00;-0.00;0.00} (n=1)");
        var sb = new StringBuilder();
        sb.AppendLine($"{"architecture",-56} {"params",8} {"valid",5} {"excl",4} {"λ̂ before",9} {"λ̂ after",8} {"ΔLLC [95% CI]",22} {"Δ control (same steps)",22} {"excess over null",22} {"MALA",5} {"R̂",5} {"test acc",11} {"probe−chance",12} {"FT steps",8}");
        foreach (var s in rows)
            sb.AppendLine(FormattableString.Invariant(
                $"{s.Arch,-56} {s.Parameters,8:N0} {s.ValidSeeds,5} {s.ExcludedSeeds,4} {s.Before,9:F2} {s.After,8:F2} {Ci(s.Delta),22} {Ci(s.DeltaControl),22} {Ci(s.Excess),22} {s.MeanMala,5:F2} {s.MeanRHat,5:F2} {s.TestAccuracyBefore,5:P0}→{s.TestAccuracyAfter,4:P0} {s.ProbeAboveChance,12:+0.000;-0.000;0.000} {s.FineTuneSteps,8:F0}"));
        return sb.ToString();
    }
}
