using System.Diagnostics;
using System.Globalization;
using LlcLab.Erasure;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// INLP (Ravfogel et al. 2020, Alg. 1) as an unlearning procedure observed <em>round by round</em>: checkpoint k is the
/// original network with the cumulative INLP eraser after k rounds, x ↦ x − B_kB_kᵀ(x − μ) (B_k the orthonormal basis of
/// the first k probes' directions), inserted at hidden layer <see cref="Layer"/> and folded into the next layer
/// (<see cref="NetworkErasure.FoldInto"/>), so every checkpoint has the original architecture. Checkpoint 0 is the original.
/// The eraser is fitted once, on the original model's activations over D_f ∪ D_r with the data's concept labels.
/// INLP's own stop ("a fresh probe is at chance") is switched off, so the run has exactly <see cref="Rounds"/> rounds
/// unless a probe finds no new direction; the probe accuracy that each round saw is recorded as the checkpoint's loss
/// (<see cref="UnlearningCheckpoint.Loss"/>), so the round at which INLP would have stopped stays visible.
/// </summary>
/// <param name="Layer">Hidden layer to erase at (h1 … h{L−1}).</param>
/// <param name="Rounds">INLP rounds (checkpoints 0…Rounds).</param>
/// <param name="Seed">Seed of the rounds' probes (their held-out split).</param>
public sealed record InlpErasure(string Layer = "h1", int Rounds = 8, long Seed = 0) : IUnlearningProcedure
{
    public string Name => "inlp";
    public double Lr => double.NaN;

    public IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["layer"] = Layer, ["rounds"] = Rounds.ToString(CultureInfo.InvariantCulture), ["probe_seed"] = Seed.ToString(CultureInfo.InvariantCulture),
    };

    public IEnumerable<UnlearningCheckpoint> Run(Network original, UnlearningData data, long seed = 0)
    {
        if (Rounds < 1) throw new ArgumentException($"inlp: Rounds must be ≥ 1 (got {Rounds}).");
        ErasureCheckpoints.Validate(Name, original, Layer, data);
        return Iterate(original, data);
    }

    IEnumerable<UnlearningCheckpoint> Iterate(Network original, UnlearningData data)
    {
        var sw = Stopwatch.StartNew();
        InlpResult fit;
        using (var scope = NewDisposeScope())
        {
            var (h, z) = ErasureCheckpoints.FitRows(original, Layer, data);
            // ChanceMargin −1: never stop for "at chance", only after Rounds rounds (or when a probe adds no direction).
            fit = Inlp.Fit(h, z, new InlpOptions(MaxIterations: Rounds, ChanceMargin: -1, Probe: ProbeOptions.Default with { Seed = Seed }));
        }
        try
        {
            var usage = ErasureCheckpoints.AllRows(data);
            var first = new UnlearningCheckpoint(Name, 0, original.StateDict(), sw.Elapsed.TotalSeconds, usage) { Strength = 0 };
            sw.Stop();
            yield return first;
            sw.Start();
            foreach (var it in fit.Iterations)
            {
                var ck = ErasureCheckpoints.Fold(Name, it.Iteration + 1, original, Layer, it.Eraser, 1.0, sw.Elapsed.TotalSeconds, usage)
                    with { Loss = it.ProbeAccuracy };
                sw.Stop();
                yield return ck;
                sw.Start();
            }
        }
        finally
        {
            foreach (var it in fit.Iterations) it.Eraser.Dispose();
            fit.Eraser.Dispose();
        }
    }
}
