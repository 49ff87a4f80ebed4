using System.Globalization;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Saliency unlearning (SalUn, Fan et al. 2024, Eqs. 5–7): a weight saliency mask
/// m = 1[|∇_w L(w₀; D_f)| among the top <see cref="MaskFraction"/> of all weights] is computed once at
/// the original weights w₀ (full-batch forget cross-entropy), then random relabelling
/// (<see cref="RandomRelabel"/>) updates only the salient weights: w = w₀ + m ⊙ Δw. Gradients are
/// masked before each step and the unmasked weights are reset to w₀ after it, so momentum or
/// weight decay cannot move them.
/// </summary>
public sealed record SalUn(UnlearnOptions? Options = null, double MaskFraction = 0.5, double RetainWeight = 1.0) : GradientProcedure(Options)
{
    public override string Name => "salun";

    protected override IEnumerable<(string, string)> ExtraHyperparameters() =>
        [("mask_fraction", MaskFraction.ToString("R", CultureInfo.InvariantCulture)), ("retain_weight", RetainWeight.ToString("R", CultureInfo.InvariantCulture))];

    protected override void ValidateExtra()
    {
        if (!(MaskFraction > 0 && MaskFraction <= 1)) throw new ArgumentException($"salun: MaskFraction must be in (0, 1] (got {MaskFraction}); SalUn's default is 0.5.");
        if (!(RetainWeight >= 0) || double.IsInfinity(RetainWeight)) throw new ArgumentException($"salun: RetainWeight must be ≥ 0 (got {RetainWeight}).");
    }

    internal override Objective CreateObjective(UnlearnSession s)
    {
        var ps = s.Student.Module.parameters().ToList();
        var masks = SaliencyMask(s, ps, MaskFraction);
        var w0 = ps.Select(p => p.detach().clone().DetachFromDisposeScope()).ToList();
        return RandomRelabel.RelabelObjective(s, RetainWeight, s.Options.Steps,
            afterBackward: () =>
            {
                for (int i = 0; i < ps.Count; i++) ps[i].grad?.mul_(masks[i]);
            },
            afterStep: () =>
            {
                for (int i = 0; i < ps.Count; i++) ps[i].copy_(w0[i] + masks[i] * (ps[i] - w0[i]));
            });
    }

    /// <summary>0/1 masks (parameter dtype) selecting exactly ⌈fraction·N⌉ weights with the largest |∂L(D_f)/∂w|.</summary>
    internal static List<Tensor> SaliencyMask(UnlearnSession s, IReadOnlyList<TorchSharp.Modules.Parameter> ps, double fraction)
    {
        using var scope = NewDisposeScope();
        foreach (var p in ps) p.grad?.zero_();
        var loss = CrossEntropy(s.Logits(s.Data.Forget.X.to(s.Device)), s.Data.Forget.Y.to(s.Device));
        var grads = autograd.grad([loss], ps.Cast<Tensor>().ToList());
        var flat = cat(grads.Select(g => g.abs().flatten()).ToList());
        long k = (long)Math.Ceiling(fraction * flat.shape[0]);
        var chosen = zeros_like(flat);
        chosen.index_fill_(0, flat.topk((int)k).indexes, 1.0);
        var masks = new List<Tensor>();
        long offset = 0;
        foreach (var p in ps)
        {
            masks.Add(chosen.narrow(0, offset, p.numel()).view(p.shape).clone().DetachFromDisposeScope());
            offset += p.numel();
        }
        return masks;
    }
}
