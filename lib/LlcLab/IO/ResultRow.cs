namespace LlcLab.IO;

/// <summary>
/// One observation in a tidy long-format results table: one metric value of one model after one
/// procedure at one step, with the settings that produced it. Columns (snake_case in CSV/JSON, in
/// this order): <c>experiment, model, procedure, step, seed, metric, value, std, n_chains, n_draws,
/// lr, localization, nbeta, layer, data_subset, elapsed_s</c>. Settings that do not apply are null
/// (an empty CSV field, a JSON null).
/// </summary>
public sealed record ResultRow
{
    /// <summary>Experiment identifier, e.g. <c>leace-digits-parity</c>.</summary>
    public required string Experiment { get; init; }
    /// <summary>Model spec string, e.g. <c>mlp:64-128-10:relu</c>.</summary>
    public required string Model { get; init; }
    /// <summary>What was done to the model: <c>none</c>, <c>leace</c>, <c>gradient-ascent</c>, …</summary>
    public string Procedure { get; init; } = "none";
    /// <summary>Training / unlearning step, when the row belongs to a trajectory.</summary>
    public long? Step { get; init; }
    public long? Seed { get; init; }
    /// <summary>Metric name, e.g. <c>llc</c>, <c>test_accuracy</c>, <c>probe_accuracy</c>.</summary>
    public required string Metric { get; init; }
    public required double Value { get; init; }
    /// <summary>Standard deviation of <see cref="Value"/> (e.g. across chains), if known.</summary>
    public double? Std { get; init; }
    public int? NChains { get; init; }
    public int? NDraws { get; init; }
    /// <summary>SGLD step size ε.</summary>
    public double? Lr { get; init; }
    /// <summary>SGLD localization strength γ.</summary>
    public double? Localization { get; init; }
    /// <summary>Inverse temperature times sample size, nβ.</summary>
    public double? Nbeta { get; init; }
    /// <summary>Layer the procedure acted on, e.g. <c>h1</c>.</summary>
    public string? Layer { get; init; }
    /// <summary>Data subset the metric was computed on: <c>train</c>, <c>test</c>, <c>forget</c>, <c>retain</c>, …</summary>
    public string? DataSubset { get; init; }
    public double? ElapsedS { get; init; }

    /// <summary>The column names, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "experiment", "model", "procedure", "step", "seed", "metric", "value", "std", "n_chains", "n_draws",
        "lr", "localization", "nbeta", "layer", "data_subset", "elapsed_s",
    ];
}
