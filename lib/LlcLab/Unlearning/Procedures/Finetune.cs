using LlcLab.Models;

namespace LlcLab.Unlearning;

/// <summary>
/// Fine-tuning on the retain set only ("FT", e.g. Golatkar et al. 2020; Kurmanji et al. 2023):
/// minimise L(w; D_r) = mean CE over retain minibatches, starting from the original model, relying on
/// catastrophic forgetting of D_f.
/// </summary>
public sealed record Finetune(UnlearnOptions? Options = null) : GradientProcedure(Options)
{
    public override string Name => "finetune";

    internal override Objective CreateObjective(UnlearnSession s) => RetainObjective(s);

    internal static Objective RetainObjective(UnlearnSession s) => new()
    {
        Loss = _ =>
        {
            var (_, x, y) = s.NextRetain();
            return CrossEntropy(s.Logits(x), y);
        },
    };
}

/// <summary>
/// Retraining from scratch on the retain set — the gold standard of exact unlearning: a fresh
/// initialisation (seeded from the run's seed) minimises L(w; D_r) and never reads D_f
/// (see <see cref="UnlearningCheckpoint.Usage"/>). Usually given more steps than the approximate procedures.
/// </summary>
public sealed record Retrain(UnlearnOptions? Options = null) : GradientProcedure(Options)
{
    public override string Name => "retrain";

    protected override Network CreateStudent(Network original, long seed) =>
        Network.Create(original.Spec.Text, Runtime.Seeding.Derive(seed, 7), original.Device);

    internal override Objective CreateObjective(UnlearnSession s) => Finetune.RetainObjective(s);
}
