using LlcLab.Data;
using LlcLab.Models;
using LlcLab.Tasks;
using Xunit;
using static TorchSharp.torch;

namespace LlcLab.Tests.Tasks;

public class TaskCacheTests
{
    const string Arch = "mlp:4-8-3:relu";

    static Dataset Small()
    {
        using var g = LlcLab.Runtime.Seeding.Generator(3);
        var x = randn([64, 4], generator: g);
        var y = x[.., 0].gt(0).to(ScalarType.Int64) + x[.., 1].gt(0).to(ScalarType.Int64);
        return new Dataset(x, y);
    }

    static float MaxDifference(Network a, Network b) =>
        a.ParameterTensors().Zip(b.ParameterTensors()).Max(p => (p.First - p.Second).abs().max().item<float>());

    [Fact]
    public void TrainOrLoad_TrainsOncePerKey_ThenLoadsTheSameWeights()
    {
        var data = Small();
        string task = "test/" + Guid.NewGuid().ToString("N");
        var first = Network.Create(Arch, seed: 7);
        var curve = TaskCache.TrainOrLoad(first, task, Arch, data, epochs: 3, seed: 7);
        Assert.Equal(3, curve.Count);

        using var second = Network.Create(Arch, seed: 7);
        using var untrained = Network.Create(Arch, seed: 7);
        first.Dispose(); // the cache holds its own copy of the weights
        var again = TaskCache.TrainOrLoad(second, task, Arch, data, epochs: 3, seed: 7);
        Assert.Same(curve, again);                       // loaded, not retrained
        Assert.True(MaxDifference(second, untrained) > 1e-4f, "the loaded weights should be the trained ones");

        using var other = Network.Create(Arch, seed: 7);
        var fresh = TaskCache.TrainOrLoad(other, task + "/other-rows", Arch, data, epochs: 3, seed: 7);
        Assert.NotSame(curve, fresh);                    // another task key trains anew …
        Assert.Equal(0f, MaxDifference(second, other));  // … and training is deterministic, which is what makes the cache sound
    }

    [Fact]
    public void Keep_DetachesTheDataFromTheScope()
    {
        Dataset kept;
        using (var scope = NewDisposeScope()) kept = TaskCache.Keep(Small());
        Assert.Equal(64, kept.X.shape[0]);
        Assert.Equal(64, kept.Y.shape[0]);
    }
}
