using LlcLab.Models;
using LlcLab.Sampling;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlcLab.Tests.Sampling;

/// <summary>
/// The public engine (<see cref="Sgmcmc"/>): every update rule against the regular-model truth λ = d/2, user-written
/// observers, determinism from a seed, and the MALA observer for every rule.
/// </summary>
public class SgmcmcEngineTests(ITestOutputHelper output)
{
    /// <summary>Linear regression 4→3 with bias: d = 15, λ = 7.5, n = 2000 noise-free samples.</summary>
    static GroundTruthProblem Quadratic() => LinearTruth.Regular(4, 3, GroundTruthTests.N, seed: 1, CPU);

    static readonly double NBeta = SgldOptions.DefaultNBeta(GroundTruthTests.N);

    /// <summary>Each rule at a step size that keeps its discretisation bias small. RMSProp-SGLD's preconditioner
    /// G = 1/(√V + 0.1) is ≈ 6 near w* here (‖∇L_B‖ ≈ √(h/nβ) ≈ 0.06), so its effective step is G·ε: it gets ε/5.</summary>
    public static TheoryData<string> Rules => new() { "sgld", "rmsprop-sgld", "sgnht" };

    static ISgmcmcUpdate Rule(string name, double scale = 1) => name switch
    {
        "sgld" => new Sgld(scale * 0.05 / NBeta),
        "rmsprop-sgld" => new RmspropSgld(scale * 0.01 / NBeta),
        "sgnht" => new Sgnht(scale * 0.05 / NBeta),
        _ => throw new ArgumentException(name),
    };

    static SgmcmcOptions Options(long seed = 1) => new() { NBeta = NBeta, Localization = 1, Draws = 4000, BurnIn = 1000, Seed = seed };

    static (LlcObserver Llc, MalaObserver Mala) Run(GroundTruthProblem p, ISgmcmcUpdate rule, SgmcmcOptions o, int chains = 4, params ISgmcmcObserver[] more)
    {
        using var scope = NewDisposeScope();
        var wStar = p.Model.ParameterTensors().Select(t => (Tensor)t.detach()).ToList();
        var target = SgmcmcTarget.Vectorized(p.Model.Functional, wStar, chains, LossKind.Mse);
        double init = target.Loss(p.X, p.Y)[0].item<float>();
        var llc = new LlcObserver(init);
        var mala = new MalaObserver();
        Sgmcmc.Sample(target, p.X, p.Y, rule, [llc, mala, .. more], o);
        return (llc, mala);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Every_rule_recovers_d_over_2_on_a_regular_model(string name)
    {
        using var p = Quadratic();
        var (llc, mala) = Run(p, Rule(name), Options());
        double mean = llc.PerChain.Average();
        output.WriteLine($"{name}: λ̂ = {mean:F3} (λ = {p.TrueLlc}), chains {string.Join(", ", llc.PerChain.Select(v => v.ToString("F2")))}, MALA {mala.Mean:F3}");
        Assert.InRange(mean, p.TrueLlc * 0.85, p.TrueLlc * 1.15);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Mala_acceptance_is_near_one_at_a_small_step_and_drops_at_a_large_one(string name)
    {
        using var p = Quadratic();
        var o = Options() with { Draws = 300, BurnIn = 200 };
        var small = Run(p, Rule(name, 0.2), o, 2).Mala.Mean!.Value;
        var large = Run(p, Rule(name, 10), o, 2).Mala.Mean!.Value;
        output.WriteLine($"{name}: MALA {small:F3} at ε/5, {large:F3} at 10ε");
        Assert.InRange(small, 0.95, 1.0);
        Assert.True(large < small - 0.05, $"{name}: MALA {large:F3} at 10ε vs {small:F3} at ε/5");
    }

    [Fact]
    public void Mala_with_minibatches_scores_each_transition_on_one_batch_so_a_small_step_is_accepted()
    {
        // Batches of 100 of 2000: were the two ends of a transition scored on different batches, nβ·(L_B′ − L_B) would scatter by
        // O(1) and pull the acceptance far below 1 at any ε; the engine reuses the draw's batch for the step after it.
        using var p = Quadratic();
        var o = Options() with { Draws = 300, BurnIn = 200, BatchSize = 100 };
        double small = Run(p, Rule("sgld", 0.2), o, 2).Mala.Mean!.Value;
        output.WriteLine($"minibatch MALA at ε/5: {small:F3}");
        Assert.InRange(small, 0.95, 1.0);
    }

    [Fact]
    public void Mala_on_with_a_draw_at_every_step_does_not_change_the_minibatch_estimate()
    {
        // Noisy targets, so each minibatch's loss has its own minimum away from w*. The engine once handed a reused batch on to
        // the next step, so with MALA on and a draw at every step every draw saw the first draw's batch: the chains sampled that
        // one batch's posterior and λ̂ fell far below d/2 (Fashion-MNIST: 99% of draws below L(w*)). Now only the step after every
        // Sgmcmc.MalaReuseEvery-th draw reuses its batch, and λ̂ with MALA on must match λ̂ with it off (always fresh batches) and the truth.
        using var p = Quadratic();
        using var g = LlcLab.Runtime.Seeding.Generator(7);
        using var yNoisy = p.Y.add(randn(p.Y.shape, generator: g).mul_(0.5));
        var sgld = new SgldOptions { Localization = 1, BatchSize = 100, Chains = 2, BurnIn = 500, Draws = 1500, Seed = 3 };
        LlcLab.Analysis.Stationarity.FineTuneToMinimum(p.Model, p.X, yNoisy, sgld, tolerance: 0.01, maxSteps: 3000, lr: 1e-2);
        var offResult = Llc.Estimate(p.Model, p.X, yNoisy, sgld with { ComputeMala = false });
        var onResult = Llc.Estimate(p.Model, p.X, yNoisy, sgld with { ComputeMala = true });
        double on = onResult.Mean;
        output.WriteLine($"λ̂ MALA on {on:F2}, off {offResult.Mean:F2} (λ = {p.TrueLlc}); MALA {onResult.Diagnostics.MalaAcceptance:F3}, below L(w*) {onResult.Diagnostics.FractionBelowInitLoss:P0}");
        Assert.InRange(offResult.Mean, p.TrueLlc * 0.8, p.TrueLlc * 1.2);
        Assert.InRange(on, offResult.Mean * 0.85, offResult.Mean * 1.15);
        Assert.InRange(onResult.Diagnostics.MalaAcceptance!.Value, 0.9, 1.0);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Same_seed_gives_identical_draws_and_a_new_seed_does_not(string name)
    {
        using var p = Quadratic();
        var o = Options() with { Draws = 50, BurnIn = 10, BatchSize = 256 };
        var a = Run(p, Rule(name), o, 3).Llc.Losses;
        var b = Run(p, Rule(name), o, 3).Llc.Losses;
        var c = Run(p, Rule(name), o with { Seed = 2 }, 3).Llc.Losses;
        Assert.Equal(a.SelectMany(t => t), b.SelectMany(t => t));
        Assert.NotEqual(a.SelectMany(t => t), c.SelectMany(t => t));
    }

    /// <summary>A user-written observer in a few lines: counts draws and records ‖w‖ of chain 0 on the device.</summary>
    sealed class WeightNormRecorder : ISgmcmcObserver
    {
        public readonly List<(long Step, int Draw)> Seen = [];
        public readonly List<Tensor> Norms = [];
        public int Blocks;
        public void OnStep(SgmcmcState s)
        {
            Seen.Add((s.Step, s.Draw));
            Norms.Add(s.ChainSquaredNorm(s.Weights).sqrt().DetachFromDisposeScope());
        }
        public void OnBlock(SgmcmcState s, SgmcmcBlock b) => Blocks++;
    }

    [Fact]
    public void A_user_observer_sees_every_draw_in_order_with_device_state()
    {
        using var p = LinearTruth.Regular(3, 2, 300, seed: 5, CPU);
        var o = new SgmcmcOptions { NBeta = 50, Localization = 1, Draws = 37, BurnIn = 11, StepsBetweenDraws = 3, CheckInterval = 20, Seed = 4 };
        var rec = new WeightNormRecorder();
        var norms = new NormsObserver();
        var (llc, _) = Run(p, new Sgld(1e-3), o, 2, rec, norms);
        Assert.Equal(Enumerable.Range(0, 37), rec.Seen.Select(s => s.Draw));
        Assert.Equal(Enumerable.Range(0, 37).Select(k => 11 + 3L * k), rec.Seen.Select(s => s.Step));
        Assert.Equal((int)Math.Ceiling(o.TotalSteps / 20.0), rec.Blocks);
        Assert.Equal(37, llc.Losses[1].Length);
        for (int k = 0; k < 37; k++)
        {
            Assert.Equal(norms.WeightNorm[0][k], rec.Norms[k][0].item<float>(), 4);
            Assert.Equal(norms.WeightNorm[1][k], rec.Norms[k][1].item<float>(), 4);
        }
        Assert.True(double.IsNaN(norms.NoiseNorm[0][0]) == false && norms.NoiseNorm[0][5] > 0);
        Assert.All(norms.Distance[0].Skip(1), v => Assert.True(v > 0));
        foreach (var t in rec.Norms) t.Dispose();
    }

    [Fact]
    public void Online_llc_ends_at_the_chain_estimate()
    {
        using var p = LinearTruth.Regular(3, 2, 300, seed: 6, CPU);
        var o = new SgmcmcOptions { NBeta = 50, Localization = 1, Draws = 200, BurnIn = 50, Seed = 3 };
        using var scope = NewDisposeScope();
        var wStar = p.Model.ParameterTensors().Select(t => (Tensor)t.detach()).ToList();
        var target = SgmcmcTarget.Vectorized(p.Model.Functional, wStar, 2, LossKind.Mse);
        double init = target.Loss(p.X, p.Y)[0].item<float>();
        var llc = new LlcObserver(init);
        var online = new OnlineLlcObserver(init);
        Sgmcmc.Sample(target, p.X, p.Y, new Sgld(1e-3), [llc, online], o);
        for (int c = 0; c < 2; c++) Assert.Equal(llc.PerChain[c], online.RunningLlc[c][^1], 2);
    }

    [Fact]
    public void Autograd_and_explicit_gradients_give_the_same_chains()
    {
        using var net = Network.Create("mlp:4-6-3:tanh", seed: 2, device: CPU);
        var x = randn([200, 4], generator: LlcLab.Runtime.Seeding.Generator(1));
        var y = randint(0, 3, [200], generator: LlcLab.Runtime.Seeding.Generator(2));
        var o = new SgldOptions { Chains = 2, Draws = 100, BurnIn = 20, Seed = 5, NBeta = 30, Lr = 1e-4 };
        var a = Llc.Estimate(net, x, y, o);
        var b = Llc.Estimate(net, x, y, o with { ExplicitGradients = false });
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 100; k++) Assert.Equal(a.LossTrace[c][k], b.LossTrace[c][k], 4);
    }

    [Theory]
    [InlineData("cnn:digits:4-6", false)]
    [InlineData("cnn:digits:4-6", true)]
    [InlineData("transformer:vocab=12,d=16,heads=2,layers=1,seq=4,out=3", false)]
    [InlineData("transformer:vocab=12,d=16,heads=2,layers=1,seq=4,out=3", true)]
    public void One_chain_in_the_single_chain_form_has_the_batched_loss_and_gradient(string spec, bool restricted)
    {
        using var scope = NewDisposeScope();
        using var net = Network.Create(spec, seed: 3, device: CPU);
        var g = LlcLab.Runtime.Seeding.Generator(6);
        bool tf = net.Spec.Kind == "transformer";
        var x = tf ? randint(12, [20, 4], generator: g) : rand([20, 64], generator: g);
        var y = randint(0, tf ? 3 : 10, [20], generator: g);
        var wStar = net.ParameterTensors().Select(t => (Tensor)t.detach()).ToList();
        bool[]? moving = restricted ? wStar.Select((_, i) => i % 3 != 1).ToArray() : null;
        var target = SgmcmcTarget.Vectorized(net.Functional, wStar, 1, LossKind.CrossEntropy, moving, explicitGradients: false);
        var (loss, grads) = target.LossAndGradient(x, y);
        Assert.Equal(new long[] { 1 }, loss.shape);
        // Observers still see [C, …] views of the moving parameters.
        var mv = moving ?? wStar.Select(_ => true).ToArray();
        var movingIdx = Enumerable.Range(0, wStar.Count).Where(i => mv[i]).ToList();
        for (int k = 0; k < movingIdx.Count; k++)
            Assert.Equal([1L, .. net.Functional.Parameters[movingIdx[k]].Shape], target.ParameterViews[k].shape);
        // The reference: the batched form, chain dimension 1, by autograd.
        var batched = wStar.Select(w => w.unsqueeze(0).clone().requires_grad_(true)).ToList();
        var lb = Losses.Compute(LossKind.CrossEntropy, net.Functional.Forward(batched, x), y);
        lb.sum().backward();
        Assert.Equal(lb.item<float>(), loss.item<float>(), 5);
        var expected = cat(movingIdx.Select(i => batched[i].grad!.flatten()).ToList());
        Assert.True(allclose(grads[0][0], expected, rtol: 1e-4, atol: 1e-6));
        Assert.Equal(target.Loss(x, y).item<float>(), lb.item<float>(), 5);
    }

    [Fact]
    public void Int32_labels_are_classification_everywhere()
    {
        var y64 = tensor(new long[] { 0, 2, 1 });
        var y32 = y64.to(ScalarType.Int32);
        Assert.Equal(LossKind.CrossEntropy, Losses.Infer(y32));
        var logits = randn([3, 3], generator: LlcLab.Runtime.Seeding.Generator(3));
        Assert.Equal(Losses.Compute(LossKind.CrossEntropy, logits, y64).item<float>(), Losses.Compute(LossKind.CrossEntropy, logits, y32).item<float>(), 6);
        Assert.Equal(Evaluate.Accuracy(logits, y64), Evaluate.Accuracy(logits, y32));
        using var net = Network.Create("mlp:4-5-3:relu", seed: 1, device: CPU);
        var x = randn([50, 4], generator: LlcLab.Runtime.Seeding.Generator(4));
        var lab = randint(0, 3, [50], generator: LlcLab.Runtime.Seeding.Generator(5));
        var o = new SgldOptions { Chains = 1, Draws = 20, BurnIn = 0, NBeta = 10, Lr = 1e-4 };
        var r32 = Llc.Estimate(net, x, lab.to(ScalarType.Int32), o);
        var r64 = Llc.Estimate(net, x, lab, o);
        Assert.Equal(LossKind.CrossEntropy, r32.Loss);
        Assert.Equal(r64.LossTrace[0], r32.LossTrace[0]);
    }
}
