namespace LlcLab.Sampling;

/// <summary>
/// What an SG-MCMC run samples and for how long, independent of the update rule. The target density is the localized
/// tempered posterior ∝ exp(−U(w)) with the potential
/// <code>U(w) = nβ·L_B(w) + γ/2·‖w − w*‖² + δ/2·‖w‖²</code>
/// (nβ = <see cref="NBeta"/>, γ = <see cref="Localization"/>, δ = <see cref="WeightDecay"/>, L_B the minibatch loss, w* the
/// centre the run starts from). Steps 0 … <see cref="BurnIn"/> − 1 are discarded; from then on every
/// <see cref="StepsBetweenDraws"/>-th step is a draw, <see cref="Draws"/> in all.
/// </summary>
public sealed record SgmcmcOptions
{
    /// <summary>Inverse temperature × sample size nβ.</summary>
    public required double NBeta { get; init; }
    /// <summary>Localization γ of the Gaussian prior centred at w*.</summary>
    public double Localization { get; init; }
    /// <summary>Weight decay δ (Gaussian prior centred at 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary>Draws per chain.</summary>
    public int Draws { get; init; } = 1000;
    /// <summary>Steps before the first draw.</summary>
    public int BurnIn { get; init; }
    /// <summary>Steps between consecutive draws (thinning).</summary>
    public int StepsBetweenDraws { get; init; } = 1;
    /// <summary>Minibatch size (sampling without replacement, reshuffled each epoch); null → full batch.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Seed of the run's private generator (noise and minibatch order).</summary>
    public long Seed { get; init; }
    /// <summary>Optional box: after each step every coordinate is clamped to [w* − b, w* + b].</summary>
    public double? BoundingBox { get; init; }
    /// <summary>Steps per block: observers' <see cref="ISgmcmcObserver.OnBlock"/> and the divergence check run at block
    /// ends, the only points where the loop synchronises with the host.</summary>
    public int CheckInterval { get; init; } = 100;
    /// <summary>Divergence guard: at each block end a chain whose current minibatch loss is NaN/∞ or above this value stops
    /// the run with <see cref="SamplerDivergedException"/>.</summary>
    public double LossLimit { get; init; } = double.PositiveInfinity;

    /// <summary>Burn-in + draws × steps between draws.</summary>
    public long TotalSteps => BurnIn + (long)Draws * StepsBetweenDraws;

    /// <summary>The draw index of step <paramref name="step"/>, or −1 when it is not a draw step.</summary>
    public int DrawAt(long step) =>
        step >= BurnIn && step < TotalSteps && (step - BurnIn) % StepsBetweenDraws == 0 ? (int)((step - BurnIn) / StepsBetweenDraws) : -1;

    /// <summary>Draws taken in steps 0 … <paramref name="stepsDone"/> − 1.</summary>
    public int DrawsBefore(long stepsDone) =>
        stepsDone <= BurnIn ? 0 : (int)Math.Min(Draws, (stepsDone - BurnIn - 1) / StepsBetweenDraws + 1);

    /// <summary>Throws a clear error for impossible settings.</summary>
    public void Validate()
    {
        static void Require(bool ok, string msg) { if (!ok) throw new ArgumentException(msg); }
        Require(NBeta > 0 && double.IsFinite(NBeta), $"SgmcmcOptions.NBeta must be positive, got {NBeta}.");
        Require(Localization >= 0 && double.IsFinite(Localization), $"SgmcmcOptions.Localization (γ) must be ≥ 0, got {Localization}.");
        Require(WeightDecay >= 0, $"SgmcmcOptions.WeightDecay must be ≥ 0, got {WeightDecay}.");
        Require(Draws >= 1, $"SgmcmcOptions.Draws must be ≥ 1, got {Draws}.");
        Require(BurnIn >= 0, $"SgmcmcOptions.BurnIn must be ≥ 0, got {BurnIn}.");
        Require(StepsBetweenDraws >= 1, $"SgmcmcOptions.StepsBetweenDraws must be ≥ 1, got {StepsBetweenDraws}.");
        Require(BatchSize is null || BatchSize >= 1, $"SgmcmcOptions.BatchSize must be ≥ 1 (or null for full batch), got {BatchSize}.");
        Require(BoundingBox is null || BoundingBox > 0, $"SgmcmcOptions.BoundingBox must be positive, got {BoundingBox}.");
        Require(CheckInterval >= 1, $"SgmcmcOptions.CheckInterval must be ≥ 1, got {CheckInterval}.");
    }
}
