namespace LlcLab.Sampling;

/// <summary>A block of steps has finished: the loop's only host synchronisation point (every
/// <see cref="SgmcmcOptions.CheckInterval"/> steps and at the end).</summary>
/// <param name="StepsDone">Steps completed so far in this run.</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="FirstDraw">Draws completed at the end of the previous block (the first draw index of this block).</param>
/// <param name="DrawsDone">Draws completed so far (draws FirstDraw … DrawsDone − 1 were taken in this block).</param>
public readonly record struct SgmcmcBlock(long StepsDone, long TotalSteps, int FirstDraw, int DrawsDone);

/// <summary>
/// Sees the sampler's device-side state (<see cref="SgmcmcState"/>: per-chain weights, gradients, losses) at draw steps,
/// without synchronising the host: <see cref="OnStep"/> should only queue tensor operations (e.g. copy a value into a
/// preallocated <c>[draws, C]</c> buffer); <see cref="OnBlock"/> is where results may be brought to the host. The LLC,
/// MALA acceptance, norms and the online LLC are observers (<see cref="LlcObserver"/>, <see cref="MalaObserver"/>,
/// <see cref="NormsObserver"/>, <see cref="OnlineLlcObserver"/>); a new diagnostic is a new observer, not an engine edit.
/// Tensors of the state are valid only during the call (they are reused or freed afterwards): copy what you keep.
/// </summary>
public interface ISgmcmcObserver
{
    /// <summary>Before the first step: allocate buffers (<see cref="SgmcmcState.Chains"/>, <see cref="SgmcmcOptions.Draws"/>).</summary>
    void OnStart(SgmcmcState state) { }

    /// <summary>Also call <see cref="OnStep"/> at the step right after each draw (to see the transition out of a draw, as
    /// MALA does), not only at draw steps.</summary>
    bool ObservesStepAfterDraw => false;

    /// <summary>A draw step (or a step after one, see <see cref="ObservesStepAfterDraw"/>): state at w_t, before the update.</summary>
    void OnStep(SgmcmcState state);

    /// <summary>End of a block of steps; may synchronise with the host and may throw to stop the run.</summary>
    void OnBlock(SgmcmcState state, SgmcmcBlock block) { }

    /// <summary>The run ended (successfully or not).</summary>
    void OnFinish(SgmcmcState state) { }
}
