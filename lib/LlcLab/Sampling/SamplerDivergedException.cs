namespace LlcLab.Sampling;

/// <summary>A chain's loss became NaN/∞ or blew up: the step size is too large for this model and nβ.</summary>
public sealed class SamplerDivergedException : InvalidOperationException
{
    public int Chain { get; }
    public int Draw { get; }
    public long Step { get; }
    public double SuggestedLr { get; }

    public SamplerDivergedException(int chain, int draw, long step, double value, double lr, string reason)
        : base($"SGLD chain {chain} diverged {(draw >= 0 ? $"at draw {draw}" : "during burn-in")} (step {step}): {reason} (value {value:G4}). " +
               $"The step size ε = {lr:G3} is too large for this model and nβ; try --lr {lr / 10:G3} (ε/10), " +
               "or increase the localization γ.")
    {
        Chain = chain; Draw = draw; Step = step; SuggestedLr = lr / 10;
    }
}
