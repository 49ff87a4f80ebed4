using System.Globalization;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// SCRUB (Kurmanji et al. 2023, "Towards Unbounded Machine Unlearning", Eq. 3 and Algorithm 1).
/// Teacher = the original model (frozen); student initialised from it. With the distillation
/// divergence d(x; w) = T²·KL(p_teacher(x/T) ‖ p_student(x/T)), SCRUB alternates
///   max-steps on D_f: minimise −d(x_f; w) (move away from the teacher on the forget set), and
///   min-steps on D_r: minimise α·d(x_r; w) + γ·CE(x_r, y_r) (stay close on the retain set).
/// One cycle is one pass of max-steps over D_f (only in the first <see cref="MaxCycles"/> cycles,
/// their "msteps") followed by one pass of min-steps over D_r; cycles repeat until Steps updates.
/// α, γ and T default to the authors' values (α = 0.001, γ = 0.99, T = 4); MaxCycles = 3 and a
/// small lr (≈ 0.005 with SGD) forget a digits class while keeping retain accuracy.
/// </summary>
public sealed record Scrub(UnlearnOptions? Options = null, double Alpha = 0.001, double Gamma = 0.99, double Temperature = 4.0, int MaxCycles = 3)
    : GradientProcedure(Options)
{
    public override string Name => "scrub";

    protected override IEnumerable<(string, string)> ExtraHyperparameters() =>
    [
        ("alpha", Alpha.ToString("R", CultureInfo.InvariantCulture)), ("gamma", Gamma.ToString("R", CultureInfo.InvariantCulture)),
        ("temperature", Temperature.ToString("R", CultureInfo.InvariantCulture)), ("max_cycles", MaxCycles.ToString(CultureInfo.InvariantCulture)),
    ];

    protected override void ValidateExtra()
    {
        if (!(Alpha >= 0) || !(Gamma >= 0)) throw new ArgumentException($"scrub: Alpha and Gamma must be ≥ 0 (got {Alpha}, {Gamma}).");
        if (!(Temperature > 0)) throw new ArgumentException($"scrub: Temperature must be > 0 (got {Temperature}).");
        if (MaxCycles < 0) throw new ArgumentException($"scrub: MaxCycles must be ≥ 0 (got {MaxCycles}).");
    }

    /// <summary>True for a max-step (forget) at each step 1…steps, following Algorithm 1's epochs.</summary>
    internal static bool[] Schedule(int steps, int forgetBatches, int retainBatches, int maxCycles)
    {
        var phases = new List<bool>(steps);
        for (int cycle = 0; phases.Count < steps; cycle++)
        {
            if (cycle < maxCycles) phases.AddRange(Enumerable.Repeat(true, forgetBatches));
            phases.AddRange(Enumerable.Repeat(false, retainBatches));
        }
        return phases.Take(steps).ToArray();
    }

    internal override Objective CreateObjective(UnlearnSession s)
    {
        var schedule = Schedule(s.Options.Steps, s.ForgetBatchesPerEpoch, s.RetainBatchesPerEpoch, MaxCycles);
        var teacher = s.Original;
        Tensor TeacherLogits(Tensor x) { using var _ = no_grad(); return teacher.Module.call(x); }
        teacher.Module.eval();
        return new Objective
        {
            Loss = t =>
            {
                if (schedule[t - 1])
                {
                    var (_, xf, _) = s.NextForget();
                    return -Distillation.Kl(s.Logits(xf), TeacherLogits(xf), Temperature);
                }
                var (_, xr, yr) = s.NextRetain();
                var logits = s.Logits(xr);
                return Alpha * Distillation.Kl(logits, TeacherLogits(xr), Temperature) + Gamma * CrossEntropy(logits, yr);
            },
        };
    }
}
