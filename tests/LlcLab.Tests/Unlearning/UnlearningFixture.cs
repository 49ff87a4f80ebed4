using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Tests.Unlearning;

/// <summary>
/// Shared test problem: digits (1,797 × 64), a fixed stratified 70/30 train/test split, forget set = the
/// training images of class 3, concept = parity; and a small MLP (mlp:64-64-10:relu) trained once on
/// the full training split with the shared Trainer. Each test gets its own copy of the model.
/// </summary>
internal static class UnlearningFixture
{
    public const string Spec = "mlp:64-64-10:relu";
    public const long ForgetClass = 3;

    static readonly Lazy<(UnlearningData Data, Dictionary<string, Tensor> State)> cache = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static UnlearningData Data => cache.Value.Data;

    /// <summary>A fresh copy of the trained original model.</summary>
    public static Network Original()
    {
        var net = Network.Create(Spec, seed: 0, device: CPU);
        net.LoadStateDict(cache.Value.State);
        return net;
    }

    static (UnlearningData, Dictionary<string, Tensor>) Build()
    {
        var (train, test) = Digits.Load().Split(0.3, seed: 12345);
        var data = UnlearningData.ByClass(train, ForgetClass, test, concept: "parity");
        using var net = Network.Create(Spec, seed: 0, device: CPU);
        Trainer.Train(net, train, new TrainOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9, MaxSteps = 400, Seed = 1, Patience = null });
        return (data, net.StateDict());
    }

    public static double Accuracy(Network net, LabelledSubset s)
    {
        using var logits = net.Forward(s.X);
        return logits.argmax(1).eq(s.Y).to(float64).mean().item<double>();
    }
}
