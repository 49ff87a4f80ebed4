namespace LlcLab.Sampling;

/// <summary>Which stochastic-gradient MCMC update moves the chains.</summary>
public enum SamplerKind
{
    /// <summary>SGLD (Welling &amp; Teh 2011) with localization (Lau et al. 2023, eq. 11).</summary>
    Sgld,
    /// <summary>RMSprop-preconditioned SGLD (Li et al. 2016, pSGLD), devinterp's <c>rmsprop_sgld</c>.</summary>
    RmspropSgld,
    /// <summary>Stochastic-gradient Nosé–Hoover thermostat (Ding et al. 2014, Alg. 2), one thermostat per chain.</summary>
    Sgnht,
}

/// <summary>How L(w*) — the reference loss in λ̂ = nβ·(E[L] − L(w*)) — is measured.</summary>
public enum InitLossMode
{
    /// <summary>Exact loss on the whole training set (default; the estimator in Lau et al.).</summary>
    FullData,
    /// <summary>Mean over <see cref="SgldOptions.InitLossBatches"/> random minibatches (what devinterp does).</summary>
    Batches,
}

/// <summary>
/// Hyperparameters of the local SGLD sampler. Update (Lau et al. 2023, arXiv 2308.12108, eq. 11):
/// <code>w ← w − (ε/2)·[nβ·∇L_B(w) + γ(w − w*) + δ·w] + N(0, ε·σ²)</code>
/// with ε = <see cref="Lr"/>, γ = <see cref="Localization"/>, nβ = <see cref="NBeta"/>, δ = <see cref="WeightDecay"/>,
/// σ = <see cref="NoiseLevel"/>. The LLC estimate is λ̂ = nβ·(mean over draws of L_B(w_t) − L(w*)).
/// Defaults were calibrated on the ground-truth suite (regular linear regression, reduced-rank regression, deep
/// linear networks) so that every case is within 15% of the theoretical value; see <c>Calibration.Sweep</c> to tune
/// for a new model.
/// </summary>
public sealed record SgldOptions
{
    /// <summary>Step size ε. <c>null</c> → ε = <see cref="DefaultLrTimesNBeta"/>/nβ. SGLD's discretisation inflates λ̂ by
    /// about ε·nβ·h/4 along a direction of loss curvature h (the stationary variance of the Euler scheme is
    /// 1/(nβh(1 − εnβh/4))), and the chain becomes unstable at ε·nβ·h ≈ 4; scaling ε with 1/nβ keeps that bias fixed
    /// (≈ 1.25% per unit curvature) whatever the data-set size.</summary>
    public double? Lr { get; init; }

    /// <summary>Localization strength γ of the Gaussian prior centred at w* (devinterp examples often use 100; we use 1 for
    /// large nβ because a strong pull biases λ̂ low; see the calibration notes in the report).</summary>
    public double Localization { get; init; } = 1.0;

    /// <summary>Inverse temperature times sample size nβ. <c>null</c> → n/ln n with n the training-set size
    /// (the optimal β* = 1/ln n of Watanabe 2013 / Lau et al.). Note: devinterp's default is the <em>batch size</em>
    /// (<c>default_nbeta(dataloader)</c>), which gives different numbers unless you pass the same nβ.</summary>
    public double? NBeta { get; init; }

    /// <summary>Number of independent chains (all start at w*).</summary>
    public int Chains { get; init; } = 4;

    /// <summary>Draws per chain kept for the estimate.</summary>
    public int Draws { get; init; } = 4000;

    /// <summary>Steps discarded before the first draw.</summary>
    public int BurnIn { get; init; } = 1000;

    /// <summary>SGLD steps between consecutive draws (thinning); devinterp's <c>num_steps_bw_draws</c>.</summary>
    public int StepsBetweenDraws { get; init; } = 1;

    /// <summary>Minibatch size; <c>null</c> → full batch (exact gradient, no minibatch noise).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Seed of the sampler's private generator (noise and minibatch order). Same seed → identical result.</summary>
    public long Seed { get; init; } = 0;

    /// <summary>Device name (<c>cpu</c>, <c>cuda</c>); <c>null</c> → the model's device.</summary>
    public string? Device { get; init; }

    /// <summary>Weight decay δ (an extra Gaussian prior centred at 0). Default 0.</summary>
    public double WeightDecay { get; init; } = 0.0;

    /// <summary>Noise scale σ (1 = the Langevin posterior; other values change the temperature).</summary>
    public double NoiseLevel { get; init; } = 1.0;

    /// <summary>Optional bounding box: after each step every coordinate is clamped to [w* − b, w* + b].</summary>
    public double? BoundingBox { get; init; }

    /// <summary>Update rule.</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Sgld;

    /// <summary>How L(w*) is measured.</summary>
    public InitLossMode InitLoss { get; init; } = InitLossMode.FullData;

    /// <summary>Minibatches averaged when <see cref="InitLoss"/> is <see cref="InitLossMode.Batches"/>.</summary>
    public int InitLossBatches { get; init; } = 8;

    /// <summary>Weight-restricted LLC (Wang et al. 2024): names of the parameters that move (exact names such as
    /// <c>2.weight</c>, a module prefix such as <c>2</c>, or a glob with <c>*</c>). All others stay frozen at w*.
    /// <c>null</c> → every parameter moves.</summary>
    public IReadOnlyList<string>? OnlyParameters { get; init; }

    /// <summary>RMSprop-SGLD: decay α of the squared-gradient average (devinterp: 0.99).</summary>
    public double RmspropAlpha { get; init; } = 0.99;

    /// <summary>RMSprop-SGLD: ε added to √V in the preconditioner 1/(√V + ε) (devinterp: 0.1).</summary>
    public double RmspropEps { get; init; } = 0.1;

    /// <summary>SGNHT: diffusion factor A, also the thermostat's initial value (devinterp: 0.01).</summary>
    public double DiffusionFactor { get; init; } = 0.01;

    /// <summary>Compute the MALA acceptance-rate diagnostic (<see cref="MalaObserver"/>, every update rule; costs a copy of the parameters per draw).</summary>
    public bool ComputeMala { get; init; } = true;

    /// <summary>With minibatches, judge "w* is a minimum" by comparing every fifth draw's minibatch loss with w*'s loss on the same
    /// batch (<see cref="PairedLossObserver"/>; one extra forward per five draws) instead of with the full-data L(w*). False restores the
    /// unpaired check (devinterp's compute exactly). λ̂ is the same either way.</summary>
    public bool PairedMinimumCheck { get; init; } = true;

    /// <summary>
    /// Use the network's hand-derived backward pass when it has one (<see cref="Models.IExplicitGradient"/>: MLPs and
    /// deep linear networks) instead of autograd. Same gradient to float precision, about half the step time on small
    /// models; false forces autograd (for comparison or debugging).
    /// </summary>
    public bool ExplicitGradients { get; init; } = true;

    /// <summary>Divergence guard: a chain whose instantaneous nβ·(L_B − L(w*)) exceeds this factor × (number of
    /// moving parameters) — λ can never exceed d/2 — or becomes NaN/∞ stops sampling with an error.</summary>
    public double DivergenceFactor { get; init; } = 10.0;

    /// <summary>Steps between host checks for divergence (and deliveries to observers). No host sync happens in between.</summary>
    public int CheckInterval { get; init; } = 100;

    /// <summary>ε·nβ used when <see cref="Lr"/> is null (calibrated on the ground-truth suite).</summary>
    public const double DefaultLrTimesNBeta = 0.05;

    /// <summary>The step size used for a given nβ.</summary>
    public double ResolveLr(double nBeta) => Lr ?? DefaultLrTimesNBeta / nBeta;

    /// <summary>Total SGLD steps per chain: burn-in + draws × steps-between-draws.</summary>
    public long TotalSteps => BurnIn + (long)Draws * StepsBetweenDraws;

    /// <summary>nβ for a training set of <paramref name="n"/> samples: the explicit value or n/ln n.</summary>
    public double ResolveNBeta(long n) => NBeta ?? DefaultNBeta(n);

    /// <summary>n/ln n (β* = 1/ln n, Watanabe 2013; Lau et al. 2023 §4).</summary>
    public static double DefaultNBeta(long n) => n < 2
        ? throw new ArgumentException($"Need at least 2 training samples to set nβ = n/ln n (got n = {n}).")
        : n / Math.Log(n);

    /// <summary>Throws a clear error for impossible settings.</summary>
    public void Validate()
    {
        static void Require(bool ok, string msg) { if (!ok) throw new ArgumentException(msg); }
        Require(Lr is null || (Lr > 0 && double.IsFinite(Lr.Value)), $"SgldOptions.Lr (ε) must be a positive number, got {Lr}.");
        Require(Localization >= 0 && double.IsFinite(Localization), $"SgldOptions.Localization (γ) must be ≥ 0, got {Localization}.");
        Require(NBeta is null || (NBeta > 0 && double.IsFinite(NBeta.Value)), $"SgldOptions.NBeta must be positive, got {NBeta}.");
        Require(Chains >= 1, $"SgldOptions.Chains must be ≥ 1, got {Chains}.");
        Require(Draws >= 1, $"SgldOptions.Draws must be ≥ 1, got {Draws}.");
        Require(BurnIn >= 0, $"SgldOptions.BurnIn must be ≥ 0, got {BurnIn}.");
        Require(StepsBetweenDraws >= 1, $"SgldOptions.StepsBetweenDraws must be ≥ 1, got {StepsBetweenDraws}.");
        Require(BatchSize is null || BatchSize >= 1, $"SgldOptions.BatchSize must be ≥ 1 (or null for full batch), got {BatchSize}.");
        Require(WeightDecay >= 0, $"SgldOptions.WeightDecay must be ≥ 0, got {WeightDecay}.");
        Require(NoiseLevel > 0, $"SgldOptions.NoiseLevel must be positive, got {NoiseLevel}.");
        Require(BoundingBox is null || BoundingBox > 0, $"SgldOptions.BoundingBox must be positive, got {BoundingBox}.");
        Require(InitLossBatches >= 1, $"SgldOptions.InitLossBatches must be ≥ 1, got {InitLossBatches}.");
        Require(RmspropAlpha is > 0 and < 1, $"SgldOptions.RmspropAlpha must be in (0, 1), got {RmspropAlpha}.");
        Require(RmspropEps > 0, $"SgldOptions.RmspropEps must be positive, got {RmspropEps}.");
        Require(DiffusionFactor > 0, $"SgldOptions.DiffusionFactor must be positive, got {DiffusionFactor}.");
        Require(DivergenceFactor > 0, $"SgldOptions.DivergenceFactor must be positive, got {DivergenceFactor}.");
        Require(CheckInterval >= 1, $"SgldOptions.CheckInterval must be ≥ 1, got {CheckInterval}.");
    }
}
