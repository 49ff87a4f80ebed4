using LlcLab.Runtime;
using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Sampling;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>Outcome of <see cref="Stationarity"/>.FineTuneToMinimum.</summary>
/// <param name="Steps">Full-batch optimizer steps taken.</param>
/// <param name="GradNormBefore">‖∇L_n(w)‖ before fine-tuning.</param>
/// <param name="GradNormAfter">‖∇L_n(w)‖ after fine-tuning.</param>
/// <param name="LossBefore">L_n(w) before.</param>
/// <param name="LossAfter">L_n(w) after.</param>
/// <param name="Converged">Whether the stopping criterion was met before the step cap.</param>
public sealed record FineTuneOutcome(int Steps, double GradNormBefore, double GradNormAfter, double LossBefore, double LossAfter, bool Converged);

/// <summary>
/// Is w* a local minimum of the loss the sampler uses? λ̂ = nβ·(E[L] − L(w*)) (Lau et al. 2023, eq. 13) is only
/// meaningful there. In the quadratic approximation L(w*+Δ) ≈ L* + gᵀΔ + ½ΔᵀHΔ, the localized tempered posterior
/// ∝ exp(−nβL − γ/2‖Δ‖²) (eq. 11) is Gaussian with mean −(nβH + γ)⁻¹nβg, so a nonzero gradient g lowers the expected
/// loss and biases λ̂ by −½(nβ)²gᵀ(nβH + γ)⁻¹g, whose size is at most (nβ‖g‖)²/(2γ) (H ⪰ 0). That bound, in λ̂ units,
/// is the stationarity criterion used here: fine-tune until it falls below a tolerance, and flag estimates whose
/// bound exceeds it.
/// </summary>
public static class Stationarity
{
    /// <summary>Default tolerance on the gradient bias bound, in λ̂ units (λ̂ of the digits MLPs is ≈ 10).</summary>
    public const double DefaultTolerance = 0.25;

    /// <summary>Full-batch gradient norm ‖∇L_n(w)‖ over the trainable parameters (inserted erasers are buffers, so held fixed).</summary>
    public static double GradNorm(Network net, Tensor x, Tensor y) => LossAndGradNorm(net, x, y).GradNorm;

    /// <summary>‖∇L_n(w)‖ over the named parameters only (null: all), e.g. those a weight-restricted LLC samples.</summary>
    public static double GradNorm(Network net, Tensor x, Tensor y, IReadOnlyCollection<string>? parameters) => LossAndGradNorm(net, x, y, parameters).GradNorm;

    /// <summary>L_n(w) and ‖∇L_n(w)‖ on the full data set, the gradient over <paramref name="parameters"/> (names; null: all trainable).</summary>
    public static (double Loss, double GradNorm) LossAndGradNorm(Network net, Tensor x, Tensor y, IReadOnlyCollection<string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        using var scope = NewDisposeScope();
        var ps = Select(net, parameters);
        foreach (var p in ps) p.grad?.zero_();
        var l = Losses.Compute(Losses.Infer(y), net.Module.call(x), y);
        var grads = autograd.grad([l], ps.Select(p => (Tensor)p).ToList());
        double sq = grads.Sum(g => g.Squared().sum().item<float>());
        return (l.item<float>(), Math.Sqrt(sq));
    }

    /// <summary>Upper bound (nβ‖g‖)²/(2γ) on |bias of λ̂| from a gradient of norm <paramref name="gradNorm"/> (see the class summary).</summary>
    public static double BiasBound(double gradNorm, double nBeta, double localization) =>
        localization > 0 ? nBeta * nBeta * gradNorm * gradNorm / (2 * localization) : double.PositiveInfinity;

    /// <summary>The gradient norm at which <see cref="BiasBound"/> equals <paramref name="tolerance"/>: √(2γτ)/nβ.</summary>
    public static double GradNormTarget(double nBeta, double localization, double tolerance = DefaultTolerance) =>
        Math.Sqrt(2 * localization * tolerance) / nBeta;

    /// <summary>
    /// Fine-tunes <paramref name="net"/> in place with full-batch Adam until the gradient bias bound for the sampler
    /// <paramref name="sgld"/> (nβ resolved on <paramref name="data"/>) is at most <paramref name="tolerance"/>, or
    /// <paramref name="maxSteps"/> is reached. Full batch, so the stopping test uses the exact gradient of the step.
    /// The learning rate halves whenever the gradient norm has not reached a new low for 50 steps (Adam's iterates
    /// otherwise hover around the minimum at a distance set by the step size).
    /// </summary>
    public static FineTuneOutcome FineTuneToMinimum(Network net, Dataset data, SgldOptions sgld, double tolerance = DefaultTolerance,
        int maxSteps = 2000, double lr = 1e-3, OptimizerKind optimizer = OptimizerKind.Adam, double momentum = 0.9)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FineTuneToMinimum(net, data.X, data.Y, sgld, tolerance, maxSteps, lr, optimizer, momentum);
    }

    /// <summary>As <see cref="FineTuneToMinimum(Network, Dataset, SgldOptions, double, int, double, OptimizerKind, double)"/> on (x, y).</summary>
    public static FineTuneOutcome FineTuneToMinimum(Network net, Tensor x, Tensor y, SgldOptions sgld, double tolerance = DefaultTolerance,
        int maxSteps = 2000, double lr = 1e-3, OptimizerKind optimizer = OptimizerKind.Adam, double momentum = 0.9) =>
        FineTuneSubset(net, x, y, sgld, null, tolerance, maxSteps, lr, optimizer, momentum);

    /// <summary>As FineTuneToMinimum, moving only <paramref name="parameters"/> (names; null: all): both the optimizer and the stopping
    /// gradient are restricted, so the other parameters stay frozen — e.g. the layers below an inserted eraser, which then keeps
    /// erasing what it was fitted on. With <paramref name="tolerance"/> 0 the run takes exactly <paramref name="maxSteps"/> steps:
    /// a fixed fine-tuning budget.</summary>
    public static FineTuneOutcome FineTuneSubset(Network net, Tensor x, Tensor y, SgldOptions sgld, IReadOnlyCollection<string>? parameters,
        double tolerance = DefaultTolerance, int maxSteps = 2000, double lr = 1e-3, OptimizerKind optimizer = OptimizerKind.Adam, double momentum = 0.9)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(sgld);
        if (maxSteps < 0) throw new ArgumentException($"maxSteps must be ≥ 0, got {maxSteps}.", nameof(maxSteps));
        double nb = sgld.ResolveNBeta(x.shape[0]);
        double target = GradNormTarget(nb, sgld.Localization, tolerance);
        var (loss0, g0) = LossAndGradNorm(net, x, y, parameters);
        var ps = Select(net, parameters);
        using var opt = optimizer == OptimizerKind.Adam ? (optim.Optimizer)optim.Adam(ps, lr) : optim.SGD(ps, lr, momentum: momentum);
        var kind = Losses.Infer(y);
        double best = g0, gNow = g0, lossNow = loss0, rate = lr;
        int sinceBest = 0, steps = 0;
        // The frozen parameters leave autograd for the run: backward then stops at the lowest moving layer, and no gradient
        // accumulates into parameters the optimizer never zeroes (with them attached, memory grew by ≈ 1.4 KB per training row per step).
        var all = net.ParameterTensors();
        var frozen = parameters is null ? [] : Enumerable.Range(0, all.Count)
            .Where(i => all[i].requires_grad && !parameters.Contains(net.ParameterInfos[i].Name)).Select(i => all[i]).ToList();
        foreach (var p in frozen) p.requires_grad_(false);
        net.Module.train();
        try
        {
            while (gNow > target && steps < maxSteps)
            {
                using (var scope = NewDisposeScope())
                {
                    opt.zero_grad();
                    var l = Losses.Compute(kind, net.Module.call(x), y);
                    l.backward();
                    double sq = 0;
                    foreach (var p in ps) if (p.grad is { } g) sq += g.Squared().sum().item<float>();
                    gNow = Math.Sqrt(sq); lossNow = l.item<float>();
                    if (gNow <= target) break;
                    opt.step();
                }
                steps++;
                if (gNow < best) { best = gNow; sinceBest = 0; }
                else if (++sinceBest >= 50)
                {
                    rate /= 2; sinceBest = 0;
                    foreach (var group in opt.ParamGroups) group.LearningRate = rate;
                }
            }
        }
        finally
        {
            foreach (var p in frozen) p.requires_grad_(true);
            net.Module.eval();
        }
        (lossNow, gNow) = LossAndGradNorm(net, x, y, parameters);
        return new FineTuneOutcome(steps, g0, gNow, loss0, lossNow, gNow <= target);
    }

    static IReadOnlyList<TorchSharp.Modules.Parameter> Select(Network net, IReadOnlyCollection<string>? names)
    {
        var all = net.ParameterTensors();
        if (names is null) return all;
        var infos = net.ParameterInfos;
        var unknown = names.Except(infos.Select(i => i.Name)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown parameter(s) {string.Join(", ", unknown)}; the network has {string.Join(", ", infos.Select(i => i.Name))}.");
        var picked = Enumerable.Range(0, all.Count).Where(i => names.Contains(infos[i].Name)).Select(i => all[i]).ToList();
        if (picked.Count == 0) throw new ArgumentException("The parameter subset is empty; name at least one parameter.");
        return picked;
    }
}
