using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Data;

/// <summary>
/// Gaussian data with a linearly encoded concept whose direction is known exactly (returned in
/// <see cref="ConceptDirections"/>), so an eraser can be checked against the truth.
/// </summary>
/// <param name="Data">Y = task label (int64), concept <c>"concept"</c> = z (int64).</param>
/// <param name="ConceptMeans">The concept's class shifts <c>[k, d]</c>: example i gets + ConceptMeans[z_i].</param>
/// <param name="ConceptDirections">Orthonormal rows <c>[r, d]</c> spanning the concept subspace
/// span{μ_j − μ̄} (r = 1 for a binary concept, k − 1 otherwise) — what LEACE should remove.</param>
/// <param name="TaskDirections">Unit task directions <c>[K, d]</c>, orthogonal to the concept subspace.</param>
public sealed record SyntheticConceptData(Dataset Data, Tensor ConceptMeans, Tensor ConceptDirections, Tensor TaskDirections);

/// <summary>
/// Generator of synthetic concept data:
/// y ~ Uniform{0..K−1} (the task label);
/// z = y mod k with probability <c>correlation</c>, else z ~ Uniform{0..k−1} independently (the concept),
/// so P(z = y mod k) = c + (1 − c)/k;
/// x = ε + taskStrength·v_y + μ_z with ε ~ N(0, I_d).
/// For a binary concept (k = 2) μ_z = strength·(2z − 1)·u (one unit direction u); for k &gt; 2 classes
/// μ_z = strength·(u_z − ū) with orthonormal u_0..u_{k−1} and ū their mean (so the shifts sum to zero and
/// lie exactly in the (k − 1)-dimensional concept subspace). The task directions v_0..v_{K−1} are orthonormal and
/// orthogonal to every u, so erasing the concept subspace leaves the task signal intact.
/// All draws come from a private generator seeded with <c>seed</c>.
/// </summary>
public static class SyntheticConcept
{
    public static SyntheticConceptData Generate(int n = 2000, int d = 16, int conceptClasses = 2, double strength = 2.0,
        double correlation = 0.0, long seed = 0, int taskClasses = 2, double taskStrength = 2.0)
    {
        if (n < 2) throw new ArgumentException($"n must be at least 2, got {n}.");
        if (conceptClasses < 2) throw new ArgumentException($"conceptClasses must be at least 2 (2 = binary), got {conceptClasses}.");
        if (taskClasses < 2) throw new ArgumentException($"taskClasses must be at least 2, got {taskClasses}.");
        int needDims = (conceptClasses == 2 ? 1 : conceptClasses) + taskClasses;
        if (d < needDims) throw new ArgumentException($"d = {d} is too small: {conceptClasses} concept classes and {taskClasses} task classes need d ≥ {needDims}.");
        if (!(correlation >= 0 && correlation <= 1)) throw new ArgumentException($"correlation must be in [0, 1], got {correlation}.");
        TorchRuntime.Initialize();
        using var g = Seeding.Generator(seed);
        using var scope = NewDisposeScope();

        // Orthonormal basis: first columns for the concept, next for the task.
        var q = linalg.qr(randn([d, d], dtype: ScalarType.Float64, generator: g)).Q.T; // rows orthonormal
        int rc = conceptClasses == 2 ? 1 : conceptClasses;
        var u = q[..rc];
        var v = q[rc..(rc + taskClasses)];

        var y = randint(taskClasses, [n], generator: g, dtype: ScalarType.Int64);
        var keep = rand([n], generator: g, dtype: ScalarType.Float64).lt(correlation);
        var zRandom = randint(conceptClasses, [n], generator: g, dtype: ScalarType.Int64);
        var z = where(keep, y.remainder(conceptClasses), zRandom);

        var means = conceptClasses == 2 ? stack([u[0] * -strength, u[0] * strength]) : (u - u.mean([0], keepdim: true)) * strength; // [k, d], rows sum to 0
        var x = randn([n, d], dtype: ScalarType.Float64, generator: g) + v.index_select(0, y) * taskStrength + means.index_select(0, z);

        var centered = means - means.mean([0], keepdim: true);
        var (_, s, vh) = linalg.svd(centered, fullMatrices: false);
        int rank = conceptClasses == 2 ? 1 : conceptClasses - 1;
        var dirs = vh[..rank];

        var data = new Dataset(x.to(ScalarType.Float32), y, new Dictionary<string, Tensor> { ["concept"] = z }, "synthetic-concept");
        var result = new SyntheticConceptData(data, means.to(ScalarType.Float32), dirs.to(ScalarType.Float32), v.to(ScalarType.Float32));
        scope.MoveToOuter(result.Data.X, result.Data.Y, result.Data.Concept("concept"), result.ConceptMeans, result.ConceptDirections, result.TaskDirections);
        return result;
    }
}
