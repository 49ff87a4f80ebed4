using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Unlearning;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Tasks;

/// <summary>
/// Models that <b>look unlearned and are not</b> — the negatives a useful unlearning check must separate from retraining. Each keeps
/// the information about D_f in the weights by construction:
/// <list type="bullet">
/// <item><see cref="SuppressClass"/> (class forgetting): logit suppression — the output bias of the forget class is lowered by the
///   smallest δ that brings forget accuracy to the target; every hidden layer is the original's, and adding δ back restores it.</item>
/// <item><see cref="SuppressHead"/> (any forget set): output suppression — only the output layer is trained (random labels on D_f,
///   true labels on D_r) until forget accuracy reaches the target; the hidden representation is the original's.</item>
/// <item><see cref="ShallowAscent"/>: gradient ascent on D_f stopped at the first step whose forget accuracy reaches the target — the
///   forget set is suppressed, not removed, and fine-tuning on D_f relearns it within a few steps.</item>
/// <item><see cref="Perturb"/>: a minimal perturbation of the original (Gaussian noise of relative norm ρ per tensor): it did not
///   unlearn, but its weights moved, which defeats checks that only ask "did anything change".</item>
/// </list>
/// </summary>
public static class HardNegatives
{
    /// <summary>Names in the result tables.</summary>
    public const string Suppress = "hn-suppress", Relearnable = "hn-relearnable", Perturbed = "hn-perturb";

    /// <summary>The output layer's parameter names (weight, bias) of <paramref name="net"/>.</summary>
    public static (string Weight, string Bias) OutputParameters(Network net)
    {
        var last = LlcMetric.LayerGroups(net)[^1].Prefix;
        return (last + ".weight", last + ".bias");
    }

    /// <summary>Lowers the forget class's output bias by the smallest δ with forget accuracy ≤ <paramref name="targetForgetAccuracy"/>.
    /// Returns the model and δ.</summary>
    public static (Network Model, double Shift) SuppressClass(Network original, LabelledSubset forget, long forgetClass, double targetForgetAccuracy)
    {
        ArgumentNullException.ThrowIfNull(original);
        using var scope = NewDisposeScope();
        var z = original.Forward(forget.X).to(float64).cpu();
        var own = z[.., forgetClass].clone();
        z[.., forgetClass] = double.NegativeInfinity;
        // margin mᵢ = z_c − max_{k≠c} z_k; after lowering b_c by δ row i is still classified c iff mᵢ > δ.
        var margins = (own - z.max(1).values).data<double>().OrderByDescending(m => m).ToArray();
        int allowed = (int)Math.Floor(Math.Clamp(targetForgetAccuracy, 0, 1) * margins.Length);
        double shift = allowed >= margins.Length ? 0 : Math.Max(0, margins[allowed] + 1e-4);
        var net = original.Clone();
        var (_, bias) = OutputParameters(net);
        using (no_grad())
        {
            var b = net.Module.named_parameters().Single(p => p.name == bias).parameter;
            b[forgetClass] = b[forgetClass] - shift;
        }
        return (net, shift);
    }

    /// <summary>Trains only the output layer (SGD, <paramref name="lr"/>; each step one D_f minibatch with random wrong labels plus one
    /// D_r minibatch with true labels) until forget accuracy ≤ <paramref name="targetForgetAccuracy"/> or <paramref name="maxSteps"/>.
    /// Returns the model and the steps taken.</summary>
    public static (Network Model, int Steps) SuppressHead(Network original, UnlearningData data, double targetForgetAccuracy, long seed,
        int maxSteps = 300, double lr = 0.05, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(data);
        var net = original.Clone();
        var (wName, bName) = OutputParameters(net);
        var head = net.Module.named_parameters().Where(p => p.name == wName || p.name == bName).Select(p => (Tensor)p.parameter).ToList();
        long classes = net.Spec.Widths[^1];
        using var g = Seeding.Generator(Seeding.Derive(seed, 613));
        int step = 0;
        while (step < maxSteps && Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y) > targetForgetAccuracy)
        {
            using var scope = NewDisposeScope();
            var fi = randint(data.Forget.Count, [Math.Min(batchSize, data.Forget.Count)], generator: g);
            var ri = randint(data.Retain.Count, [batchSize], generator: g);
            var yf = data.Forget.Y.index_select(0, fi);
            // a wrong label: y + U{1, …, K−1} mod K
            var wrong = (yf + randint(1, classes, yf.shape, generator: g)).remainder(classes);
            net.Module.train();
            var loss = Losses.Compute(LossKind.CrossEntropy, net.Module.call(data.Forget.X.index_select(0, fi)), wrong)
                + Losses.Compute(LossKind.CrossEntropy, net.Module.call(data.Retain.X.index_select(0, ri)), data.Retain.Y.index_select(0, ri));
            var grads = autograd.grad([loss], head);
            using (no_grad()) for (int i = 0; i < head.Count; i++) head[i].sub_(grads[i] * lr);
            step++;
        }
        net.Module.eval();
        return (net, step);
    }

    /// <summary>NegGrad (SGD, <paramref name="lr"/>, momentum 0.9) one step at a time, stopped at the first step with forget accuracy
    /// ≤ <paramref name="targetForgetAccuracy"/> (or <paramref name="maxSteps"/>). Returns the model and the steps taken.</summary>
    public static (Network Model, int Steps) ShallowAscent(Network original, UnlearningData data, double targetForgetAccuracy, long seed,
        double lr = 1e-3, int maxSteps = 100)
    {
        ArgumentNullException.ThrowIfNull(original);
        var proc = new NegGrad(new UnlearnOptions { Steps = maxSteps, CheckpointEvery = 1, Lr = lr });
        UnlearningCheckpoint? last = null;
        foreach (var ck in proc.Run(original, data, seed))
        {
            last = ck;
            if (ck.Step == 0) continue;
            using var net = ck.ToNetwork(original);
            if (Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y) <= targetForgetAccuracy) break;
        }
        return (last!.ToNetwork(original), last.Step);
    }

    /// <summary>The original plus Gaussian noise with ‖noise‖ = <paramref name="relativeNorm"/>·‖w‖ for every parameter tensor (seeded).</summary>
    public static Network Perturb(Network original, double relativeNorm, long seed)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (!(relativeNorm >= 0)) throw new ArgumentException($"relativeNorm must be ≥ 0 (got {relativeNorm}).");
        var net = original.Clone();
        using var g = Seeding.Generator(Seeding.Derive(seed, 617));
        using var _ = no_grad();
        foreach (var p in net.ParameterTensors())
        {
            using var scope = NewDisposeScope();
            var e = randn(p.shape, generator: g).to(p.dtype).to(p.device);
            double norm = p.norm().item<float>(), en = e.norm().item<float>();
            if (en > 0) p.add_(e * (relativeNorm * norm / en));
        }
        return net;
    }
}
