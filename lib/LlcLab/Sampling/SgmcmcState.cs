using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// The device-side state of a running SG-MCMC loop, handed to the update rule and to observers. One instance per run,
/// refreshed each step (no per-step allocation). Everything here lives on the sampling device; reading a value on the
/// host (<c>item</c>, <c>cpu()</c>) synchronises, so observers should only do that in
/// <see cref="ISgmcmcObserver.OnBlock"/>. Observers must not modify the tensors.
/// </summary>
public sealed class SgmcmcState
{
    internal SgmcmcState(SgmcmcTarget target, SgmcmcOptions options, ISgmcmcUpdate update)
    {
        Target = target; Options = options; Update = update;
        Loss = zeros([target.Chains], ScalarType.Float32, target.Device);
        Gradients = target.Leaves;
    }

    /// <summary>What is sampled: the moving tensors, w*, the chain layout.</summary>
    public SgmcmcTarget Target { get; }
    /// <summary>The run's settings (nβ, γ, δ, schedule).</summary>
    public SgmcmcOptions Options { get; }
    /// <summary>The update rule (for its step size, preconditioner and noise).</summary>
    public ISgmcmcUpdate Update { get; }
    /// <summary>Number of chains C.</summary>
    public int Chains => Target.Chains;
    /// <summary>The step about to be taken (0-based); the weights are those before its update.</summary>
    public long Step { get; internal set; }
    /// <summary>The draw index of this step, or −1 when it is not a draw step.</summary>
    public int Draw { get; internal set; } = -1;
    /// <summary>True when this step's minibatch is the previous step's (always with full batches): only then does the MALA
    /// ratio of the transition into this step compare one potential at both ends (<see cref="Sgmcmc"/>).</summary>
    public bool SameBatchAsPrevious { get; internal set; } = true;
    /// <summary>True at draw steps.</summary>
    public bool IsDraw => Draw >= 0;
    /// <summary>This step's minibatch inputs B (the whole data set with full batches); valid only during the call.</summary>
    public Tensor? BatchX { get; internal set; }
    /// <summary>This step's minibatch targets, prepared for the loss (<see cref="BatchX"/>'s rows).</summary>
    public Tensor? BatchY { get; internal set; }
    /// <summary>True when <see cref="BatchX"/> is a strict subset of the data (minibatch SG-MCMC).</summary>
    public bool IsMinibatch { get; internal set; }
    /// <summary>Per-chain minibatch loss L_B(w_t) <c>[C]</c> (detached).</summary>
    public Tensor Loss { get; internal set; }
    /// <summary>The moving tensors w_t, updated in place by the update rule (<see cref="SgmcmcTarget.Leaves"/>).</summary>
    public IReadOnlyList<Tensor> Weights => Target.Leaves;
    /// <summary>w*, one tensor per weight tensor (broadcastable to it).</summary>
    public IReadOnlyList<Tensor> Centers => Target.Centers;
    /// <summary>∇L_B(w_t) per chain, one tensor per weight tensor (same layout).</summary>
    public IReadOnlyList<Tensor> Gradients { get; internal set; }
    /// <summary>Per-parameter views <c>[C, ..shape]</c> of the weights (named by <see cref="SgmcmcTarget.ParameterNames"/>).</summary>
    public IReadOnlyList<Tensor> Parameters => Target.ParameterViews;

    /// <summary>Sum over everything but the chain dimension: <c>[C, …]</c> → <c>[C]</c> (a one-chain tensor without chain
    /// dimension → <c>[1]</c>).</summary>
    public Tensor ChainSum(Tensor t) => Target.ChainDim ? t.flatten(1).sum([1]) : t.sum().unsqueeze(0);

    /// <summary>Per-chain squared Euclidean norm Σ_i ‖t_i‖² over a list laid out like <see cref="Weights"/>, <c>[C]</c>.</summary>
    public Tensor ChainSquaredNorm(IReadOnlyList<Tensor> tensors)
    {
        Tensor? acc = null;
        foreach (var t in tensors)
        {
            var s = ChainSum(t.Squared());
            acc = acc is null ? s : acc.add_(s, Scalars.One);
        }
        return acc!;
    }

    /// <summary>
    /// ∇U(w) = nβ·∇L_B(w) + γ(w − w*) + δw for weight tensor <paramref name="i"/> at the current point (a new tensor):
    /// the drift of every Langevin-type rule.
    /// </summary>
    public Tensor PotentialGradient(int i, Scalar nBeta, Scalar? gamma, Scalar? weightDecay)
    {
        var d = Gradients[i].mul(nBeta);
        if (gamma is not null) d.add_(Weights[i].add(Centers[i], Scalars.MinusOne), gamma);
        if (weightDecay is not null) d.add_(Weights[i], weightDecay);
        return d;
    }
}
