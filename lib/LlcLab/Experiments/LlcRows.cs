using LlcLab.IO;
using LlcLab.Sampling;

namespace LlcLab.Experiments;

/// <summary>Turns LLC estimates into tidy <see cref="ResultRow"/>s (metric "llc", value = mean λ̂, std across chains).</summary>
public static class LlcRows
{
    /// <summary>One "llc" row carrying every sampler hyperparameter of <paramref name="r"/>.</summary>
    public static ResultRow From(LlcResult r, string experiment, string model, string procedure = "none",
        long? seed = null, long? step = null, string? layer = null, string? dataSubset = null, string metric = "llc") => new()
    {
        Experiment = experiment, Model = model, Procedure = procedure, Seed = seed, Step = step,
        Metric = metric, Value = r.Mean, Std = r.Std, NChains = r.PerChain.Length, NDraws = r.Options.Draws,
        Lr = r.Options.Lr, Localization = r.Options.Localization, Nbeta = r.NBeta, Layer = layer,
        DataSubset = dataSubset, ElapsedS = r.ElapsedSeconds,
    };

    /// <summary>A plain metric row (accuracy, probe accuracy, …).</summary>
    public static ResultRow Metric(string experiment, string model, string metric, double value, string procedure = "none",
        long? seed = null, long? step = null, string? layer = null, string? dataSubset = null, double? std = null) => new()
    {
        Experiment = experiment, Model = model, Procedure = procedure, Seed = seed, Step = step, Metric = metric,
        Value = value, Std = std, Layer = layer, DataSubset = dataSubset,
    };
}
