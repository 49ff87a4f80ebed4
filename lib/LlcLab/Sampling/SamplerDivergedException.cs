namespace LlcLab.Sampling;

/// <summary>A chain's loss became NaN/∞ or blew up: the step size is too large for this model and nβ.</summary>
public sealed class SamplerDivergedException : InvalidOperationException
{
    public int Chain { get; }
    public int Draw { get; }
    public long Step { get; }
    public double Value { get; }
    public double Lr { get; }
    public string Reason { get; }
    public double SuggestedLr { get; }

    public SamplerDivergedException(int chain, int draw, long step, double value, double lr, string reason)
        : base($"SGLD chain {chain} diverged {(draw >= 0 ? $"at draw {draw}" : "during burn-in")} (step {step}): {reason} (value {value:G4}). " +
               $"The step size ε = {lr:G3} is too large for this model and nβ; try --lr {lr / 10:G3} (ε/10), " +
               "or increase the localization γ.")
    {
        Chain = chain; Draw = draw; Step = step; Value = value; Lr = lr; Reason = reason; SuggestedLr = lr / 10;
    }

    /// <summary>The same failure reported for chain <c>Chain + offset</c> (chains run one after another).</summary>
    public SamplerDivergedException WithChainOffset(int offset) => new(Chain + offset, Draw, Step, Value, Lr, Reason);
}
