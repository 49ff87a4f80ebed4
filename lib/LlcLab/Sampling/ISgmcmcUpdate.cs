using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// One SG-MCMC transition rule, applied in place to the moving tensors (<see cref="SgmcmcState.Weights"/>) given the
/// gradient of the minibatch loss (<see cref="SgmcmcState.Gradients"/>) at the current point. Implementations:
/// <see cref="Sgld"/>, <see cref="RmspropSgld"/>, <see cref="Sgnht"/>. An instance holds the state of one run (momenta,
/// averages, noise buffers); <see cref="Initialize"/> resets it, so one instance can serve runs one after another but
/// not two at once. Every random number comes from the run's generator, so a run is a function of its seed.
/// </summary>
public interface ISgmcmcUpdate
{
    /// <summary>Short name (<c>sgld</c>, <c>rmsprop-sgld</c>, <c>sgnht</c>).</summary>
    string Name { get; }

    /// <summary>Step size ε.</summary>
    double StepSize { get; }

    /// <summary>Allocates (or resets) per-run state for the tensors of <paramref name="state"/>.</summary>
    void Initialize(SgmcmcState state, Generator generator);

    /// <summary>Moves <see cref="SgmcmcState.Weights"/> one step, in place, without autograd.</summary>
    void Step(SgmcmcState state, Generator generator);

    /// <summary>
    /// The diagonal preconditioner G (one tensor per weight tensor) used by the most recent step, or null for the
    /// identity. The step's Langevin proposal is N(w − (ε/2)·G⊙∇U(w), ε·G); MALA's acceptance test uses it.
    /// </summary>
    IReadOnlyList<Tensor>? Preconditioner => null;

    /// <summary>The Gaussian noise drawn by the most recent step (before any preconditioning), one tensor per weight
    /// tensor; null before the first step.</summary>
    IReadOnlyList<Tensor>? Noise { get; }
}

/// <summary>Builds the update rule that <see cref="SgldOptions"/> names.</summary>
public static class SgmcmcUpdates
{
    /// <summary>The rule of <see cref="SgldOptions.Sampler"/> with its hyperparameters, at step size <paramref name="lr"/>.</summary>
    public static ISgmcmcUpdate From(SgldOptions options, double lr)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Sampler switch
        {
            SamplerKind.Sgld => new Sgld(lr, options.NoiseLevel),
            SamplerKind.RmspropSgld => new RmspropSgld(lr, options.RmspropAlpha, options.RmspropEps, options.NoiseLevel),
            SamplerKind.Sgnht => new Sgnht(lr, options.DiffusionFactor),
            _ => throw new ArgumentOutOfRangeException(nameof(options), $"Unknown sampler {options.Sampler}."),
        };
    }
}
