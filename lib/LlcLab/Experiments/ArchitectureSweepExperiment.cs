using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Sampling;

namespace LlcLab.Experiments;

/// <summary>Settings of the RQ3 protocol (notebook 05).</summary>
public sealed record ArchitectureSweepOptions
{
    /// <summary>Architectures (spec strings); each is trained on digits and erased at its first hidden layer.</summary>
    public IReadOnlyList<string> Archs { get; init; } = new[]
    {
        "mlp:64-16-10:relu", "mlp:64-32-10:relu", "mlp:64-64-10:relu", "mlp:64-128-10:relu", "mlp:64-256-10:relu",
        "mlp:64-64-64-10:relu", "mlp:64-64-64-64-10:relu",
    };
    /// <summary>Concept erased.</summary>
    public string Concept { get; init; } = "parity";
    /// <summary>Training seeds.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2 };
    /// <summary>Quick mode.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="DigitsTask.DefaultSgld"/>).</summary>
    public SgldOptions? Sgld { get; init; }

    /// <summary>CI-sized: three MLPs of different width/depth, one seed.</summary>
    public static ArchitectureSweepOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0 }, Archs = new[] { "mlp:64-16-10:relu", "mlp:64-64-10:relu", "mlp:64-64-64-10:relu" },
    };
}

/// <summary>
/// RQ3: the RQ1 protocol (train → λ̂ → LEACE at the first hidden layer, inserted → λ̂) across architectures and sizes;
/// rows carry the parameter count (metric "parameters") so ΔLLC can be plotted against it.
/// </summary>
public static class ArchitectureSweepExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq3-architectures";

    /// <summary>Runs the protocol.</summary>
    public static ExperimentResult Run(ArchitectureSweepOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ArchitectureSweepOptions();
        var table = new ResultsTable();
        foreach (var arch in o.Archs)
            foreach (var seed in o.Seeds)
            {
                using var task = DigitsTask.Create(arch, seed, o.Quick);
                var sgld = (o.Sgld ?? DigitsTask.DefaultSgld(o.Quick)) with { Seed = seed, ComputeMala = false };
                var x = task.Train.X; var y = task.Train.Y;
                string layer = task.Model.LayerNames[0];
                var z = task.Train.Concept(o.Concept);
                table.Add(LlcRows.Metric(Name, arch, "parameters", task.Model.ParameterCount, "none", seed, 0));
                var before = Llc.Estimate(task.Model, x, y, sgld);
                table.Add(LlcRows.From(before, Name, arch, "none", seed, 0, layer));
                table.Add(LlcRows.Metric(Name, arch, "test_accuracy", task.TestAccuracy, "none", seed, 0));
                var acts = task.Activations(layer, x);
                using var eraser = Leace.Fit(acts, z);
                var (m, c) = eraser.AffineForm();
                using var erased = task.Model.WithFixedAffine(layer, m, c);
                var after = Llc.Estimate(erased, x, y, sgld);
                table.Add(LlcRows.From(after, Name, arch, "leace-inserted", seed, 100, layer));
                table.Add(LlcRows.Metric(Name, arch, "test_accuracy", DigitsTask.Accuracy(erased, task.Test), "leace-inserted", seed, 100));
                log?.WriteLine(FormattableString.Invariant($"{arch,-28} seed {seed} d = {task.Model.ParameterCount,7:N0}  λ̂ {before.Mean:F2} → {after.Mean:F2}"));
            }
        return new ExperimentResult(Name, table);
    }
}
