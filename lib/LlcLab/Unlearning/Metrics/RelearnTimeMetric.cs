using LlcLab.Models;

namespace LlcLab.Unlearning;

/// <summary>Settings of the relearning-time metric: fine-tuning on D_f with these options.</summary>
public sealed record RelearnOptions
{
    /// <summary>Cap on fine-tuning steps; a model that has not recovered by then reports the cap (censored).</summary>
    public int MaxSteps { get; init; } = 200;
    /// <summary>Forget accuracy is checked every this many steps (the resolution of the answer).</summary>
    public int EvalEvery { get; init; } = 5;
    public double Lr { get; init; } = 0.01;
    public int BatchSize { get; init; } = 32;
    /// <summary>Recovered when forget accuracy ≥ (original forget accuracy − Tolerance).</summary>
    public double Tolerance { get; init; } = 0.02;
}

/// <summary>
/// Relearning time (Golatkar et al. 2020; Tarun et al. 2023): the number of SGD steps of fine-tuning on
/// D_f (true labels) needed for the checkpoint to recover the original model's forget accuracy
/// (within <see cref="RelearnOptions.Tolerance"/>), capped at <see cref="RelearnOptions.MaxSteps"/>.
/// Metrics <c>relearn_steps</c> and <c>relearn_censored</c> (1 when the cap was hit), data_subset <c>forget</c>.
/// Deterministic: the fine-tuning minibatches come from a generator seeded by the run's seed.
/// </summary>
public sealed class RelearnTimeMetric(RelearnOptions? options = null) : ICheckpointMetric
{
    readonly RelearnOptions o = Validate(options ?? new RelearnOptions());
    (Network Original, double Goal)? target;

    public string Name => "relearn_time";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        if (target is not { } t || !ReferenceEquals(t.Original, c.Original))
            target = (c.Original, ModelEval.Accuracy(c.Original, c.Data.Forget.X, c.Data.Forget.Y) - o.Tolerance);
        double goal = target.Value.Goal;
        int steps = StepsToRecover(c.Model, c.Data, goal, c.Seed, out bool censored);
        yield return new MetricValue("relearn_steps", steps) { DataSubset = "forget", Lr = o.Lr };
        yield return new MetricValue("relearn_censored", censored ? 1 : 0) { DataSubset = "forget", Lr = o.Lr };
    }

    int StepsToRecover(Network model, UnlearningData data, double goal, long seed, out bool censored)
    {
        censored = false;
        if (ModelEval.Accuracy(model, data.Forget.X, data.Forget.Y) >= goal) return 0;
        var relearn = new Relearn(new UnlearnOptions
        {
            Steps = o.MaxSteps, Lr = o.Lr, BatchSize = o.BatchSize, CheckpointEvery = o.EvalEvery, Momentum = 0.9,
        });
        foreach (var ck in relearn.Run(model, data, Runtime.Seeding.Derive(seed, 211)))
        {
            if (ck.Step == 0) continue;
            using var net = ck.ToNetwork(model);
            if (ModelEval.Accuracy(net, data.Forget.X, data.Forget.Y) >= goal) return ck.Step;
        }
        censored = true;
        return o.MaxSteps;
    }

    static RelearnOptions Validate(RelearnOptions o)
    {
        if (o.MaxSteps < 1 || o.EvalEvery < 1 || o.BatchSize < 1 || !(o.Lr > 0) || !(o.Tolerance >= 0))
            throw new ArgumentException($"RelearnOptions need MaxSteps, EvalEvery, BatchSize ≥ 1, Lr > 0 and Tolerance ≥ 0 (got {o}).");
        return o;
    }

    /// <summary>Fine-tuning on the forget set with its true labels (the relearning attack).</summary>
    sealed record Relearn(UnlearnOptions? Options) : GradientProcedure(Options)
    {
        public override string Name => "relearn";

        internal override Objective CreateObjective(UnlearnSession s) => new()
        {
            Loss = _ =>
            {
                var (_, x, y) = s.NextForget();
                return CrossEntropy(s.Logits(x), y);
            },
        };
    }
}
