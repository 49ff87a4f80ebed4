namespace LlcLab.Unlearning;

/// <summary>Optimiser used by the gradient-based unlearning procedures.</summary>
public enum UnlearnOptimizer { Sgd, Adam }

/// <summary>
/// Hyperparameters shared by the gradient-based procedures. One "step" is one optimiser update on
/// one minibatch (per data set the objective uses). Defaults suit the small digits models of this
/// project (SGD with momentum 0.9, lr 0.01, batch 64, 200 steps, a checkpoint every 20 steps).
/// </summary>
public sealed record UnlearnOptions
{
    /// <summary>Number of optimiser updates.</summary>
    public int Steps { get; init; } = 200;
    public double Lr { get; init; } = 0.01;
    public int BatchSize { get; init; } = 64;
    public UnlearnOptimizer Optimizer { get; init; } = UnlearnOptimizer.Sgd;
    /// <summary>SGD momentum (ignored by Adam).</summary>
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 0.0;
    /// <summary>A checkpoint every this many steps (and always at step 0 and the last step).</summary>
    public int CheckpointEvery { get; init; } = 20;
    /// <summary>Divergence guard: a parameter with |w| above this stops the procedure (ascent on an
    /// unbounded loss otherwise runs away silently).</summary>
    public double MaxAbsWeight { get; init; } = 1e4;

    internal void Validate(string procedure)
    {
        if (Steps < 0) throw new ArgumentException($"{procedure}: Steps must be ≥ 0 (got {Steps}).");
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw new ArgumentException($"{procedure}: Lr must be a positive finite number (got {Lr}).");
        if (BatchSize < 1) throw new ArgumentException($"{procedure}: BatchSize must be ≥ 1 (got {BatchSize}).");
        if (CheckpointEvery < 1) throw new ArgumentException($"{procedure}: CheckpointEvery must be ≥ 1 (got {CheckpointEvery}).");
        if (Momentum < 0 || Momentum >= 1) throw new ArgumentException($"{procedure}: Momentum must be in [0, 1) (got {Momentum}).");
        if (WeightDecay < 0) throw new ArgumentException($"{procedure}: WeightDecay must be ≥ 0 (got {WeightDecay}).");
        if (!(MaxAbsWeight > 0)) throw new ArgumentException($"{procedure}: MaxAbsWeight must be positive (got {MaxAbsWeight}).");
    }
}

/// <summary>
/// An unlearning procedure diverged: its objective became NaN/∞ or a weight exceeded
/// <see cref="UnlearnOptions.MaxAbsWeight"/>. Nothing from the diverged steps was returned or written.
/// </summary>
public sealed class UnlearningDivergedException(string procedure, int step, double lr, string reason)
    : InvalidOperationException(
        $"Unlearning procedure '{procedure}' diverged at step {step}: {reason}. No checkpoint after step {step} was produced. " +
        $"Use a smaller learning rate, e.g. --lr {Format(lr / 10)} (was {Format(lr)}), or fewer steps.")
{
    public string Procedure { get; } = procedure;
    public int Step { get; } = step;
    public double SuggestedLr { get; } = lr / 10;

    static string Format(double x) => x.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)
        .Replace("E+0", "e").Replace("E-0", "e-").Replace("E+", "e").Replace("E-", "e-");
}
