using System.Diagnostics;
using LlcLab.Sampling;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

public class ScratchTests(ITestOutputHelper output)
{
    static double Env(string k, double d) => Environment.GetEnvironmentVariable(k) is { } s ? double.Parse(s) : d;

    [Fact]
    public void Scratch()
    {
        if (Environment.GetEnvironmentVariable("SCRATCH") is null) return;
        var o = new SgldOptions
        {
            Lr = Env("LR", 1e-4), Localization = Env("GAMMA", 1), Draws = (int)Env("DRAWS", 400), BurnIn = (int)Env("BURNIN", 100),
            Chains = (int)Env("CHAINS", 4), StepsBetweenDraws = (int)Env("EVERY", 1), Seed = 1,
        };
        int n = (int)Env("N", 10000);
        var cases = new (string name, Func<GroundTruthProblem> make)[]
        {
            ("reg 4-3", () => LinearTruth.Regular(4, 3, n, 1, CPU)),
            ("dln 5-3-5 r0", () => LinearTruth.DeepLinear([5, 3, 5], 0, n, 2, CPU)),
            ("dln 5-3-5 r2", () => LinearTruth.DeepLinear([5, 3, 5], 2, n, 3, CPU)),
            ("dln 4-3-8 r1", () => LinearTruth.DeepLinear([4, 3, 8], 1, n, 4, CPU)),
            ("dln 8-3-4 r0", () => LinearTruth.DeepLinear([8, 3, 4], 0, n, 5, CPU)),
            ("dln 3-4-4-3 r1", () => LinearTruth.DeepLinear([3, 4, 4, 3], 1, n, 6, CPU)),
            ("dln 6-4-3-5 r2", () => LinearTruth.DeepLinear([6, 4, 3, 5], 2, n, 7, CPU)),
            ("dln 5-4-3-4-5 r0", () => LinearTruth.DeepLinear([5, 4, 3, 4, 5], 0, n, 8, CPU)),
        };
        var only = Environment.GetEnvironmentVariable("CASES");
        foreach (var (name, make) in cases)
        {
            if (only is not null && !only.Split(',').Any(c => name.Contains(c))) continue;
            using var p = make();
            var sw = Stopwatch.StartNew();
            var r = Llc.Estimate(p.Model, p.X, p.Y, o);
            output.WriteLine($"{name,-18} true {p.TrueLlc,7:F3} est {r.Mean,7:F3} ± {r.Std,6:F3} rel {(r.Mean - p.TrueLlc) / p.TrueLlc,7:P1} mala {r.Diagnostics.MalaAcceptance,6:F3} rhat {r.Diagnostics.RHat:F3} ess {r.Diagnostics.Ess:F0} {sw.Elapsed.TotalSeconds:F2}s");
        }
    }
}
