using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Shuffled minibatches (without replacement within an epoch) over one subset, drawn from a private
/// generator, recording which rows were used (a device-side mask, so no host sync per step).
/// </summary>
internal sealed class BatchStream : IDisposable
{
    readonly long n;
    readonly int batch;
    readonly Generator generator;
    readonly Device device;
    readonly Tensor seen;
    long[] order = [];
    long position;

    public long Draws { get; private set; }

    public BatchStream(long n, int batchSize, long seed, Device device)
    {
        this.n = n;
        batch = (int)Math.Min(batchSize, n);
        generator = Seeding.Generator(seed);
        this.device = device;
        seen = zeros(n, dtype: ScalarType.Bool, device: device).DetachFromDisposeScope();
        position = n; // forces a shuffle on first use
    }

    /// <summary>Row indices of the next minibatch, as an int64 tensor on the subset's device.</summary>
    public Tensor Next()
    {
        if (position + batch > n)
        {
            using var perm = randperm(n, generator: generator);
            order = perm.data<long>().ToArray();
            position = 0;
        }
        var rows = new long[batch];
        Array.Copy(order, position, rows, 0, batch);
        position += batch;
        Draws += batch;
        var idx = tensor(rows, device: device);
        seen.index_fill_(0, idx, true);
        return idx;
    }

    /// <summary>Row numbers (within the subset) drawn so far, ascending.</summary>
    public long[] SeenRows()
    {
        using var nz = seen.nonzero().flatten().cpu();
        return nz.data<long>().ToArray();
    }

    public void Dispose() { generator.Dispose(); seen.Dispose(); }
}
