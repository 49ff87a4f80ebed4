using LlcLab.Erasure;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>Held-out linear-probe accuracy and the majority-class (chance) rate on the held-out rows.</summary>
public sealed record ProbeScore(double Accuracy, double Chance);

/// <summary>The experiments' probe: the shared L2-regularised logistic regression (<see cref="LinearProbe"/>),
/// fitted on a seeded random split and scored on the held-out part.</summary>
public static class Probe
{
    /// <summary>Fits on 1 − <paramref name="testFraction"/> of the rows of <paramref name="x"/> (flattened per row) and
    /// scores on the rest; <paramref name="z"/> holds integer concept labels.</summary>
    public static ProbeScore HeldOut(Tensor x, Tensor z, long seed = 0, double testFraction = 0.25)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(z);
        if (x.shape[0] != z.shape[0]) throw new ArgumentException($"x has {x.shape[0]} rows but z has {z.shape[0]}.");
        if (x.shape[0] < 8) throw new ArgumentException($"A held-out probe needs at least 8 rows, got {x.shape[0]}.");
        using var scope = NewDisposeScope();
        var r = LinearProbe.Fit(x.reshape(x.shape[0], -1), z.to(ScalarType.Int64),
            new ProbeOptions(L2: 1e-3, TestFraction: testFraction, Seed: seed));
        return new ProbeScore(r.Accuracy, r.ChanceLevel);
    }
}
