using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Unlearning;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Analysis;

/// <summary>
/// The trivial baselines an LLC-based unlearning check must beat (computed on the same runs): ‖Δw‖ = ‖w − w_original‖ over all
/// parameters, KL(original ‖ model) averaged over the forget rows, and the Hutchinson estimate of the Hessian trace of a loss.
/// (The retain-loss gradient norm is <see cref="Stationarity"/>.GradNorm; the forget loss and the step counts come from the run.)
/// </summary>
public static class TrivialSignals
{
    /// <summary>‖w − w₀‖₂ over every parameter (the two networks must share a spec).</summary>
    public static double WeightDistance(Network model, Network original)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(original);
        using var scope = NewDisposeScope();
        double sq = 0;
        foreach (var (a, b) in model.ParameterTensors().Zip(original.ParameterTensors()))
            sq += (a.detach() - b.detach().to(a.device)).to(float64).square().sum().item<double>();
        return Math.Sqrt(sq);
    }

    /// <summary>(1/n) Σᵢ KL(p_original(·|xᵢ) ‖ p_model(·|xᵢ)) over the rows of <paramref name="x"/>, in nats.</summary>
    public static double Kl(Network original, Network model, Tensor x)
    {
        using var scope = NewDisposeScope();
        // The one output-KL: SCRUB's distillation divergence at temperature 1, teacher = the original.
        return Distillation.Kl(model.Forward(x).to(float64), original.Forward(x).to(float64), temperature: 1).item<double>();
    }

    /// <summary>
    /// Hutchinson's estimator of tr ∇²L(w) (Hutchinson 1989): tr H ≈ (1/m) Σ_k v_kᵀ H v_k with Rademacher v_k, H v by double
    /// backpropagation of the full-batch loss on (x, y). Returns the mean and the standard error over the m probes (seeded).
    /// </summary>
    public static (double Mean, double StdError) HessianTrace(Network net, Tensor x, Tensor y, int probes, long seed)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (probes < 1) throw new ArgumentException($"Hutchinson needs ≥ 1 probe (got {probes}).");
        using var g = Seeding.Generator(Seeding.Derive(seed, 701));
        var ps = net.ParameterTensors().Select(p => (Tensor)p).ToList();
        var values = new double[probes];
        net.Module.eval();
        for (int k = 0; k < probes; k++)
        {
            using var scope = NewDisposeScope();
            var loss = Losses.Compute(Losses.Infer(y), net.Module.call(x), y);
            var grads = autograd.grad([loss], ps, retain_graph: true, create_graph: true);
            var vs = ps.Select(p => (randint(0, 2, p.shape, generator: g).to(p.dtype) * 2 - 1).to(p.device)).ToList();
            var gv = grads.Zip(vs).Select(t => (t.First * t.Second).sum()).Aggregate((a, b) => a + b);
            var hv = autograd.grad([gv], ps);
            values[k] = hv.Zip(vs).Sum(t => (t.First * t.Second).sum().to(float64).item<double>());
        }
        double mean = values.Average();
        double se = probes > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (probes - 1) / probes) : double.NaN;
        return (mean, se);
    }
}
