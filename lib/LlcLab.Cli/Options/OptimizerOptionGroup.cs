using System.CommandLine;
using LlcLab.Models;
using LlcLab.Unlearning;

namespace LlcLab.Cli.Options;

/// <summary>The optimizer settings a user chose (validated).</summary>
public sealed record OptimizerChoice(string Optimizer, double Lr, double Momentum, int BatchSize, double WeightDecay)
{
    public TrainOptions ApplyTo(TrainOptions o) => o with
    {
        Optimizer = Optimizer == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam, LearningRate = Lr, Momentum = Momentum,
        BatchSize = BatchSize, WeightDecay = WeightDecay,
    };

    public UnlearnOptions ApplyTo(UnlearnOptions o) => o with
    {
        Optimizer = Optimizer == "sgd" ? UnlearnOptimizer.Sgd : UnlearnOptimizer.Adam, Lr = Lr, Momentum = Momentum,
        BatchSize = BatchSize, WeightDecay = WeightDecay,
    };
}

/// <summary>
/// The optimizer flags, one group shared by <c>train</c> and <c>unlearn</c> with one set of defaults: Adam, lr 1e-3,
/// batch 64 (momentum 0.9 applies to SGD only).
/// </summary>
public sealed class OptimizerOptionGroup
{
    public const string DefaultOptimizer = "adam";
    public const double DefaultLr = 1e-3, DefaultMomentum = 0.9;
    public const int DefaultBatchSize = 64;

    public readonly Option<string> Optimizer = new("--optimizer") { Description = "adam or sgd.", DefaultValueFactory = _ => DefaultOptimizer };
    public readonly Option<double> Lr = new("--lr") { Description = "Optimizer learning rate.", DefaultValueFactory = _ => DefaultLr };
    public readonly Option<double> Momentum = new("--momentum") { Description = "SGD momentum, in [0, 1) (ignored by adam).", DefaultValueFactory = _ => DefaultMomentum };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "Minibatch size.", DefaultValueFactory = _ => DefaultBatchSize };
    public readonly Option<double> WeightDecay = new("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => 0.0 };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Optimizer, Lr, Momentum, BatchSize, WeightDecay }) command.Options.Add(o);
    }

    public OptimizerChoice Read(ParseResult r)
    {
        var opt = Check.OneOf(Optimizer.Name, r.GetValue(Optimizer)!, "adam", "sgd");
        Check.Positive(Lr.Name, r.GetValue(Lr));
        Check.InRange(Momentum.Name, r.GetValue(Momentum), 0, 1, hiOpen: true);
        Check.AtLeast(BatchSize.Name, r.GetValue(BatchSize), 1);
        Check.NonNegative(WeightDecay.Name, r.GetValue(WeightDecay));
        return new OptimizerChoice(opt, r.GetValue(Lr), r.GetValue(Momentum), r.GetValue(BatchSize), r.GetValue(WeightDecay));
    }
}
