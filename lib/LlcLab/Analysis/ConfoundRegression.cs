namespace LlcLab.Analysis;

/// <summary>One edit's ΔLLC and the properties of the edit that could explain it instead of the concept.</summary>
/// <param name="DeltaLlc">λ̂ after the edit (inserted and re-minimised) − λ̂ before, same seed.</param>
/// <param name="EditRank">Rank of Q = I − M (directions the edit removes).</param>
/// <param name="MapNorm">‖M‖₂, the largest singular value of the inserted map (LEACE's oblique projection amplifies: ≈ 10 on digits).</param>
/// <param name="LossIncrease">Training loss right after insertion − before (the damage done at insertion).</param>
/// <param name="FineTuneDistance">‖w_after − w_before‖₂ moved by the re-minimisation (a different network when large).</param>
/// <param name="Label">Free text (concept or null-edit name, seed) for tables.</param>
public sealed record ConfoundObservation(double DeltaLlc, double EditRank, double MapNorm, double LossIncrease, double FineTuneDistance, string? Label = null);

/// <summary>
/// The confound regression of issue 17: ΔLLC = β₀ + β₁·rank + β₂·‖M‖₂ + β₃·Δloss_insert + β₄·‖Δw‖_finetune + e, by OLS
/// (<see cref="Regression.Ols"/>) with t-intervals per coefficient. A confound "survives" when its interval excludes zero;
/// if ΔLLC(concept) − ΔLLC(null) is explained by these, the concept adds nothing beyond the edit's size and damage.
/// Pool concept edits and their matched null edits (<see cref="LlcLab.Erasure.NullEdits"/>) so the predictors vary.
/// </summary>
public static class ConfoundRegression
{
    /// <summary>Predictor names, in model order.</summary>
    public static IReadOnlyList<string> Predictors { get; } = ["edit_rank", "map_norm", "loss_increase", "finetune_distance"];

    /// <summary>Fits the regression on <paramref name="observations"/>; <paramref name="standardize"/> z-scores the predictors
    /// (coefficients per standard deviation, comparable across predictors). Constant predictors are dropped and listed.</summary>
    public static RegressionFit Fit(IReadOnlyList<ConfoundObservation> observations, double level = 0.95, bool standardize = false)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var y = observations.Select(o => o.DeltaLlc).ToArray();
        var xs = new (string, IReadOnlyList<double>)[]
        {
            (Predictors[0], observations.Select(o => o.EditRank).ToArray()),
            (Predictors[1], observations.Select(o => o.MapNorm).ToArray()),
            (Predictors[2], observations.Select(o => o.LossIncrease).ToArray()),
            (Predictors[3], observations.Select(o => o.FineTuneDistance).ToArray()),
        };
        return Regression.Ols(y, xs, level, standardize);
    }
}
