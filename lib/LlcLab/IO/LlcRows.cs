using LlcLab.IO;
using LlcLab.Sampling;
using LlcLab.Analysis;

namespace LlcLab.IO;

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

    /// <summary>
    /// The validity companions of an "llc…" row, keyed like the λ̂ row:
    /// <list type="bullet">
    /// <item><c>{metric}_valid</c>: 1 when w* passes the minimum checks (λ̂ &gt; 0, draws below L(w*), gradient bias bound;
    ///   <see cref="LlcValidityVerdict.AtMinimum"/>), the meaning the notebooks filter on;</item>
    /// <item><c>{metric}_strict_valid</c>: 1 when every check of <see cref="LlcValidity.Check"/> passes — at a minimum <em>and</em>
    ///   R̂ ≤ 1.1 <em>and</em> MALA ≥ 0.9 (the validity issue 17 asks for; <see cref="Paired.Excess"/> uses it);</item>
    /// <item><c>{metric}_grad_bias_bound</c>: (nβ‖∇L(w*)‖)²/2γ, see <see cref="Stationarity"/>;</item>
    /// <item><c>{metric}_check_{name}</c>, one per evaluated check (1 passed, 0 failed; names from <see cref="LlcValidity.CheckName"/>),
    ///   so a table says which check excluded an estimate (<see cref="ExperimentResult.Exclusions"/> counts them).</item>
    /// </list>
    /// </summary>
    public static IEnumerable<ResultRow> Validity(LlcResult r, double gradNorm, string experiment, string model, string procedure = "none",
        long? seed = null, long? step = null, string? layer = null, string? dataSubset = null, string metric = "llc")
    {
        double bound = Stationarity.BiasBound(gradNorm, r.NBeta, r.Options.Localization);
        var verdict = LlcValidity.Check(r, bound);
        yield return Metric(experiment, model, metric + "_valid", verdict.AtMinimum ? 1 : 0, procedure, seed, step, layer, dataSubset);
        yield return Metric(experiment, model, metric + "_grad_bias_bound", bound, procedure, seed, step, layer, dataSubset);
        yield return Metric(experiment, model, metric + "_strict_valid", verdict.Valid ? 1 : 0, procedure, seed, step, layer, dataSubset);
        foreach (var c in verdict.Checks)
            yield return Metric(experiment, model, $"{metric}_check_{c.Name}", c.Passed ? 1 : 0, procedure, seed, step, layer, dataSubset);
    }
}
