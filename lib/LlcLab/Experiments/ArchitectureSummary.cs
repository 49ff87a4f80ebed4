using System.Text;

namespace LlcLab.Experiments;

/// <summary>
/// One architecture's RQ3 numbers over its seeds. ΔLLC = λ̂(leace-finetuned) − λ̂(none), paired by seed, over the seeds whose
/// two estimates both pass the minimum check (<c>llc_valid</c>; <c>at_minimum</c> in older tables) (<see cref="ValidSeeds"/>); the other seeds are
/// counted in <see cref="ExcludedSeeds"/> and left out of every mean here. <see cref="DeltaInserted"/> (eraser inserted, not
/// fine-tuned) uses all seeds and is descriptive only: the inserted model is usually not at a minimum.
/// </summary>
public sealed record ArchitectureSummary(string Arch, string Family, double Parameters, int ValidSeeds, int ExcludedSeeds,
    double Before, double After, Summary? Delta, Summary? DeltaControl, Summary? DeltaInserted, double MeanMala, double MeanBelow,
    double TestAccuracyBefore, double TestAccuracyAfter, double ProbeBefore, double ProbeAfter, double FineTuneEpochs, double ProbeDownstreamTuned = double.NaN)
{
    /// <summary>ΔLLC relative to λ̂ before (NaN without valid seeds).</summary>
    public double RelativeDelta => Delta is null ? double.NaN : Delta.Mean / Before;
}

/// <summary>Summaries of an <see cref="ArchitectureSweepExperiment"/> result.</summary>
public static class ArchitectureSummaries
{
    /// <summary>One summary per architecture, in the order of first appearance.</summary>
    public static IReadOnlyList<ArchitectureSummary> From(ExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        const string B = ArchitectureSweepExperiment.Before, F = ArchitectureSweepExperiment.FineTuned,
            I = ArchitectureSweepExperiment.Inserted, C = ArchitectureSweepExperiment.ControlFineTuned;
        var list = new List<ArchitectureSummary>();
        foreach (var arch in r.Table.Select(q => q.Model).Distinct())
        {
            double V(string metric, string proc, long seed) =>
                r.Rows(metric, proc, model: arch).Where(q => q.Seed == seed).Select(q => q.Value).DefaultIfEmpty(double.NaN).First();
            double Mean(string metric, string proc, IEnumerable<long> seeds) =>
                seeds.Select(s => V(metric, proc, s)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var seeds = r.Rows("llc", B, model: arch).Select(q => q.Seed ?? 0).Distinct().Order().ToList();
            var withAfter = seeds.Where(s => double.IsFinite(V("llc", F, s))).ToList();
            // The minimum check (llc_valid: λ̂ > 0, few draws below L(w*), gradient bias bound ≤ 1); tables written before it existed
            // carry only the estimator's verdict (at_minimum).
            bool Ok(string proc, long s) => double.IsFinite(V("llc_valid", proc, s)) ? V("llc_valid", proc, s) == 1 : V("at_minimum", proc, s) == 1;
            var valid = withAfter.Where(s => Ok(B, s) && Ok(F, s)).ToList();
            Summary? Paired(string proc, IEnumerable<long> ss)
            {
                var d = ss.Select(s => V("llc", proc, s) - V("llc", B, s)).Where(double.IsFinite).ToArray();
                return d.Length == 0 ? null : Stats.Summarize(d);
            }
            var validControl = valid.Where(s => Ok(C, s)).ToList();
            list.Add(new ArchitectureSummary(arch, ArchitectureTask.FamilyOf(arch), Mean("parameters", B, seeds), valid.Count, withAfter.Count - valid.Count,
                Mean("llc", B, valid), Mean("llc", F, valid), Paired(F, valid), Paired(C, validControl), Paired(I, seeds),
                r.Rows("mala_acceptance", model: arch).Select(q => q.Value).DefaultIfEmpty(double.NaN).Average(),
                r.Rows("fraction_below_init_loss", model: arch).Select(q => q.Value).DefaultIfEmpty(double.NaN).Average(),
                Mean("test_accuracy", B, seeds), Mean("test_accuracy", F, seeds), Mean("probe_accuracy", B, seeds), Mean("probe_accuracy", F, seeds),
                Mean("finetune_epochs", F, seeds), Mean("probe_accuracy_downstream_tuned", F, seeds)));
        }
        return list;
    }

    /// <summary>A fixed-width text table (one line per architecture).</summary>
    public static string ToText(IEnumerable<ArchitectureSummary> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"architecture",-58} {"params",8} {"valid",5} {"excl",4} {"λ̂ before",9} {"λ̂ after FT",10} {"ΔLLC",8} {"Δ control",9} {"Δ inserted",10} {"MALA",5} {"below",6} {"test acc",13} {"probe (→ downstream-tuned → minimised)",38} {"FT ep",5}");
        foreach (var s in rows)
            sb.AppendLine(FormattableString.Invariant(
                $"{s.Arch,-58} {s.Parameters,8:N0} {s.ValidSeeds,5} {s.ExcludedSeeds,4} {s.Before,9:F2} {s.After,10:F2} {s.Delta?.Mean ?? double.NaN,8:F2} {s.DeltaControl?.Mean ?? double.NaN,9:F2} {s.DeltaInserted?.Mean ?? double.NaN,10:F2} {s.MeanMala,5:F2} {s.MeanBelow,6:P0} {s.TestAccuracyBefore,6:P0}→{s.TestAccuracyAfter,5:P0} {s.ProbeBefore,10:P0} →{s.ProbeDownstreamTuned,5:P0} →{s.ProbeAfter,5:P0}{"",15} {s.FineTuneEpochs,5:F0}"));
        return sb.ToString();
    }
}
