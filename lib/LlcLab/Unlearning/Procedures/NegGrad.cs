using System.Globalization;

namespace LlcLab.Unlearning;

/// <summary>
/// Gradient ascent on the forget set ("NegGrad", Golatkar et al. 2020; Thudi et al. 2022):
/// minimise −L(w; D_f), i.e. ascend the forget cross-entropy. Unbounded: stop early or it diverges
/// (the divergence guard then stops it with a clear error).
/// </summary>
public sealed record NegGrad(UnlearnOptions? Options = null) : GradientProcedure(Options)
{
    public override string Name => "neggrad";

    internal override Objective CreateObjective(UnlearnSession s) => new()
    {
        Loss = _ =>
        {
            var (_, x, y) = s.NextForget();
            return -CrossEntropy(s.Logits(x), y);
        },
    };
}

/// <summary>
/// NegGrad+ / gradient difference (Kurmanji et al. 2023, "NegGrad+"; Liu et al. 2022 "GradDiff"):
/// minimise α·L(w; D_r) − (1 − α)·L(w; D_f), one retain and one forget minibatch per step.
/// α = 1 is fine-tuning, α = 0 is NegGrad. The ascent term is unbounded, so α must be close to 1
/// for the retain term to hold the model together: the default 0.95 keeps retain accuracy on the
/// digits models while forgetting a class in ~80 steps at lr 0.01 (α = 0.5 collapses the model).
/// </summary>
public sealed record GradDiff(UnlearnOptions? Options = null, double Alpha = 0.95) : GradientProcedure(Options)
{
    public override string Name => "graddiff";

    protected override IEnumerable<(string, string)> ExtraHyperparameters() => [("alpha", Alpha.ToString("R", CultureInfo.InvariantCulture))];

    protected override void ValidateExtra()
    {
        if (!(Alpha >= 0 && Alpha <= 1)) throw new ArgumentException($"graddiff: Alpha must be in [0, 1] (got {Alpha}); the objective is α·L(D_r) − (1−α)·L(D_f).");
    }

    internal override Objective CreateObjective(UnlearnSession s) => new()
    {
        Loss = _ =>
        {
            var (_, xr, yr) = s.NextRetain();
            var (_, xf, yf) = s.NextForget();
            return Alpha * CrossEntropy(s.Logits(xr), yr) - (1 - Alpha) * CrossEntropy(s.Logits(xf), yf);
        },
    };
}
