using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Experiments;

/// <summary>Minibatch Adam training/fine-tuning with cross-entropy, deterministic given the seed.</summary>
public static class Training
{
    /// <summary>
    /// Trains <paramref name="net"/> in place for <paramref name="epochs"/> epochs on <paramref name="data"/>
    /// (Adam, lr <paramref name="lr"/>, minibatches of <paramref name="batchSize"/> in a seeded order). Returns the mean loss per epoch.
    /// </summary>
    public static IReadOnlyList<double> Fit(Network net, Dataset data, int epochs, double lr = 1e-3, int batchSize = 64, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(data);
        if (epochs < 0) throw new ArgumentException($"epochs must be ≥ 0, got {epochs}.", nameof(epochs));
        var parameters = net.ParameterTensors();
        using var opt = optim.Adam(parameters, lr);
        using var g = Seeding.Generator(Seeding.Derive(seed, 7), data.X.device);
        var curve = new List<double>(epochs);
        long n = data.Count;
        net.Module.train();
        for (int e = 0; e < epochs; e++)
        {
            using var scope = NewDisposeScope();
            var perm = randperm(n, generator: g, device: data.X.device);
            var total = zeros(1, device: data.X.device);
            for (long s = 0; s < n; s += batchSize)
            {
                var idx = perm.narrow(0, s, Math.Min(batchSize, n - s));
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(net.Module.call(data.X.index_select(0, idx)), data.Y.index_select(0, idx));
                loss.backward();
                opt.step();
                total.add_(loss.detach() * idx.shape[0]);
            }
            curve.Add(total.item<float>() / n);
            if (!double.IsFinite(curve[^1]))
                throw new InvalidOperationException($"Training diverged at epoch {e} (loss {curve[^1]}); use a smaller learning rate than {lr}.");
        }
        net.Module.eval();
        return curve;
    }
}
