using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace LlcLab.Unlearning;

/// <summary>The teacher–student divergence used by SCRUB.</summary>
internal static class Distillation
{
    /// <summary>
    /// Distillation divergence KL(p_teacher ‖ p_student) at temperature T, times T² (Hinton et al. 2015),
    /// averaged over the batch — the d(x; w) of SCRUB (Kurmanji et al. 2023, Eq. 1; their DistillKL).
    /// </summary>
    public static Tensor Kl(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        var logPs = log_softmax(studentLogits / temperature, 1);
        var logPt = log_softmax(teacherLogits / temperature, 1);
        var kl = (logPt.exp() * (logPt - logPs)).sum(1).mean();
        return kl * (temperature * temperature);
    }
}
