using LlcLab.Models;

namespace LlcLab.Unlearning;

/// <summary>
/// A machine-unlearning procedure: a trained model, a forget set D_f and a retain set D_r give a
/// sequence of <see cref="UnlearningCheckpoint"/>s (step 0 = before unlearning), enumerated lazily so metrics
/// such as the LLC can be evaluated before, during and after. Deterministic given the seed:
/// shuffling and relabelling draw from private generators. The original model is never modified.
/// </summary>
public interface IUnlearningProcedure
{
    /// <summary>Short name used in result tables and on the command line (e.g. <c>neggrad</c>).</summary>
    string Name { get; }

    /// <summary>Learning rate recorded in the results table (NaN when not applicable).</summary>
    double Lr { get; }

    /// <summary>Hyperparameters as name → value, recorded in the run manifest.</summary>
    IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <summary>True when the first k steps of a run with more <c>steps</c> are exactly the run with k steps (so a
    /// finished run can be extended by asking for more steps); false when the step count changes the schedule itself.</summary>
    bool StepsExtendPrefix => false;

    IEnumerable<UnlearningCheckpoint> Run(Network original, UnlearningData data, long seed = 0);
}
