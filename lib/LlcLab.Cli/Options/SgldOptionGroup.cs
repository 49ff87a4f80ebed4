using System.CommandLine;
using LlcLab.Sampling;

namespace LlcLab.Cli.Options;

/// <summary>
/// The SGLD flags, one group shared by <c>estimate</c> and <c>unlearn --llc</c> so the same flag means the same thing with
/// the same default (the library's <see cref="SgldOptions"/> defaults, calibrated on the ground-truth suite). All are
/// prefixed <c>--sgld-</c> because <c>--lr</c> and <c>--batch-size</c> belong to the optimizer group.
/// </summary>
public sealed class SgldOptionGroup
{
    static readonly SgldOptions D = new();

    public readonly Option<double?> Lr = new("--sgld-lr") { Description = $"SGLD step size ε (default {SgldOptions.DefaultLrTimesNBeta}/nβ)." };
    public readonly Option<double> Localization = new("--sgld-localization") { Description = "Localization γ (pull towards w*).", DefaultValueFactory = _ => D.Localization };
    public readonly Option<double?> NBeta = new("--sgld-nbeta") { Description = "nβ (default n/ln n of the train split; devinterp defaults to the batch size)." };
    public readonly Option<int> Chains = new("--sgld-chains") { Description = "Number of chains.", DefaultValueFactory = _ => D.Chains };
    public readonly Option<int> Draws = new("--sgld-draws") { Description = "Draws per chain.", DefaultValueFactory = _ => D.Draws };
    public readonly Option<int> BurnIn = new("--sgld-burnin") { Description = "Burn-in steps per chain.", DefaultValueFactory = _ => D.BurnIn };
    public readonly Option<int> Every = new("--sgld-steps-between-draws") { Description = "SGLD steps between draws.", DefaultValueFactory = _ => D.StepsBetweenDraws };
    public readonly Option<int?> BatchSize = new("--sgld-batch-size") { Description = "SGLD minibatch size (default: full batch)." };
    public readonly Option<long> Seed = new("--sgld-seed") { Description = "Sampler seed.", DefaultValueFactory = _ => D.Seed };
    public readonly Option<string> Sampler = new("--sgld-sampler") { Description = "sgld | rmsprop-sgld | sgnht.", DefaultValueFactory = _ => "sgld" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Lr, Localization, NBeta, Chains, Draws, BurnIn, Every, BatchSize, Seed, Sampler }) command.Options.Add(o);
    }

    /// <summary>The options, every range checked against the flag that set it.</summary>
    public SgldOptions Read(ParseResult r)
    {
        Check.Positive(Lr.Name, r.GetValue(Lr));
        Check.NonNegative(Localization.Name, r.GetValue(Localization));
        Check.Positive(NBeta.Name, r.GetValue(NBeta));
        Check.AtLeast(Chains.Name, r.GetValue(Chains), 1);
        Check.AtLeast(Draws.Name, r.GetValue(Draws), 1);
        Check.AtLeast(BurnIn.Name, r.GetValue(BurnIn), 0);
        Check.AtLeast(Every.Name, r.GetValue(Every), 1);
        Check.AtLeast(BatchSize.Name, r.GetValue(BatchSize), 1);
        var kind = Check.OneOf(Sampler.Name, r.GetValue(Sampler)!, "sgld", "rmsprop-sgld", "sgnht") switch
        {
            "rmsprop-sgld" => SamplerKind.RmspropSgld,
            "sgnht" => SamplerKind.Sgnht,
            _ => SamplerKind.Sgld,
        };
        return new SgldOptions
        {
            Lr = r.GetValue(Lr), Localization = r.GetValue(Localization), NBeta = r.GetValue(NBeta), Chains = r.GetValue(Chains),
            Draws = r.GetValue(Draws), BurnIn = r.GetValue(BurnIn), StepsBetweenDraws = r.GetValue(Every), BatchSize = r.GetValue(BatchSize),
            Seed = r.GetValue(Seed), Sampler = kind,
        };
    }
}
