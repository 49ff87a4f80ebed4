using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>The data an LLC estimate at a checkpoint is computed on.</summary>
public enum LlcSubset
{
    /// <summary>The original training set D_f ∪ D_r (the ordinary LLC, Lau et al. 2023).</summary>
    Train,
    /// <summary>Data-restricted to the forget set (Wang et al. 2024), nβ from the training-set size.</summary>
    Forget,
    /// <summary>Data-restricted to the retain set.</summary>
    Retain,
}

/// <summary>
/// Local Learning Coefficient estimates at every checkpoint, via <see cref="Llc"/> (λ̂ = nβ·(E[L_n(w)] − L_n(w*)),
/// Lau et al. 2023 eq. 13): on the training set and/or data-restricted to D_f or D_r (Wang et al. 2024), for all
/// weights and optionally weight-restricted to each linear layer (layer <c>h1</c> = the weights that produce h1, …,
/// <c>output</c>). Rows: metric <c>llc</c>, value = mean over chains, std, n_chains, n_draws, lr (the SGLD ε),
/// localization, nbeta, layer (null for all weights), data_subset <c>train</c>/<c>forget</c>/<c>retain</c>; plus the sampler
/// diagnostics of <see cref="Values"/>. The estimate's warnings go to <c>onWarning</c> (the CLI prints them on stderr).
/// The same <see cref="SgldOptions"/> (including its seed) are used at every checkpoint, so differences along a
/// trajectory are not sampler noise from changing seeds.
/// </summary>
public sealed class LlcMetric(SgldOptions? options = null, IReadOnlyList<LlcSubset>? subsets = null, bool perLayer = false,
    Action<string>? onWarning = null) : ICheckpointMetric
{
    readonly SgldOptions sgld = options ?? new SgldOptions();
    readonly IReadOnlyList<LlcSubset> on = subsets is { Count: > 0 } ? subsets : [LlcSubset.Train];

    public string Name => "llc";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        var d = c.Data;
        using var scope = NewDisposeScope();
        var x = cat([d.Forget.X, d.Retain.X]);
        var y = cat([d.Forget.Y, d.Retain.Y]);
        var groups = new List<(string? Layer, SgldOptions Options)> { (null, sgld) };
        if (perLayer)
        {
            foreach (var (layer, prefix) in LayerGroups(c.Model)) groups.Add((layer, sgld with { OnlyParameters = [prefix] }));
        }
        var rows = new List<MetricValue>();
        foreach (var subset in on)
            foreach (var (layer, o) in groups)
            {
                var r = subset switch
                {
                    LlcSubset.Train => Llc.Estimate(c.Model, x, y, o),
                    LlcSubset.Forget => Llc.EstimateDataRestricted(c.Model, x, y, d.Forget.X, d.Forget.Y, DataRestriction.Posterior, o),
                    _ => Llc.EstimateDataRestricted(c.Model, x, y, d.Retain.X, d.Retain.Y, DataRestriction.Posterior, o),
                };
                var name = subset.ToString().ToLowerInvariant();
                rows.AddRange(Values(r, layer, name));
                if (onWarning is not null)
                    foreach (var w in r.Diagnostics.Warnings) onWarning($"step {c.Checkpoint.Step}, llc[{name}{(layer is null ? "" : "/" + layer)}]: {w}");
            }
        return rows;
    }

    /// <summary>The weight groups of the per-layer (weight-restricted) LLC: label <c>h1</c>, <c>h2</c>, … for the weights that produce
    /// that hidden layer, <c>output</c> for the last, with the parameter-name prefix the sampler's <see cref="SgldOptions.OnlyParameters"/> takes.</summary>
    public static IReadOnlyList<(string Layer, string Prefix)> LayerGroups(Models.Network net)
    {
        ArgumentNullException.ThrowIfNull(net);
        var prefixes = net.ParameterInfos.Select(p => p.Name[..p.Name.LastIndexOf('.')]).Distinct().ToList();
        return prefixes.Select((p, i) => (i < prefixes.Count - 1 ? $"h{i + 1}" : "output", p)).ToList();
    }

    /// <summary>
    /// The rows of one estimate (shared with <c>llclab estimate --results</c>, so both write the same long format):
    /// <c>llc</c> (mean over chains; std, chains, draws, ε, γ, nβ) and the sampler diagnostics <c>llc_r_hat</c>
    /// (split-R̂), <c>llc_ess</c> and <c>llc_mala_acceptance</c> when finite, and <c>llc_fraction_below_init_loss</c>.
    /// </summary>
    public static IEnumerable<MetricValue> Values(LlcResult r, string? layer, string subset)
    {
        double lr = r.Options.ResolveLr(r.NBeta);
        MetricValue Row(string metric, double v) => new(metric, v)
        {
            NChains = r.PerChain.Length, NDraws = r.Options.Draws, Lr = lr, Localization = r.Options.Localization, NBeta = r.NBeta,
            Layer = layer, DataSubset = subset,
        };
        yield return Row("llc", r.Mean) with { Std = r.Std };
        if (double.IsFinite(r.Diagnostics.RHat)) yield return Row("llc_r_hat", r.Diagnostics.RHat);
        if (double.IsFinite(r.Diagnostics.Ess)) yield return Row("llc_ess", r.Diagnostics.Ess);
        if (r.Diagnostics.MalaAcceptance is { } m && double.IsFinite(m)) yield return Row("llc_mala_acceptance", m);
        yield return Row("llc_fraction_below_init_loss", r.Diagnostics.FractionBelowInitLoss);
    }
}
