using static TorchSharp.torch;

namespace LlcLab.Sampling;

/// <summary>
/// A device buffer <c>[draws, C]</c> that observers fill one row per draw (a contiguous row write, no host sync) and
/// read on the host once, as <c>[chain][draw]</c>.
/// </summary>
public sealed class DrawBuffer : IDisposable
{
    readonly Tensor data;

    /// <summary>A buffer for <paramref name="draws"/> draws of <paramref name="chains"/> chains on <paramref name="device"/>,
    /// initialised to <paramref name="fill"/> (NaN marks draws that were never written).</summary>
    public DrawBuffer(int draws, int chains, Device device, float fill = float.NaN)
    {
        Draws = draws; Chains = chains;
        data = full([draws, chains], fill, ScalarType.Float32, device).DetachFromDisposeScope();
    }

    public int Draws { get; }
    public int Chains { get; }

    /// <summary>Writes the per-chain values <paramref name="values"/> <c>[C]</c> as draw <paramref name="draw"/>.</summary>
    public void Write(int draw, Tensor values)
    {
        using var row = data.select(0, draw);
        row.copy_(values);
    }

    /// <summary>Draws <paramref name="from"/> … <paramref name="to"/> − 1 as a device tensor <c>[to − from, C]</c> (a view).</summary>
    public Tensor Rows(int from, int to) => data.narrow(0, from, to - from);

    /// <summary>Draws <paramref name="from"/> … <paramref name="to"/> − 1 on the host, <c>[chain][draw − from]</c> (synchronises).</summary>
    public double[][] ToHost(int from = 0, int? to = null)
    {
        int end = to ?? Draws, width = end - from;
        var result = new double[Chains][];
        for (int c = 0; c < Chains; c++) result[c] = new double[Math.Max(width, 0)];
        if (width <= 0) return result;
        using var rows = Rows(from, end);
        using var host = rows.cpu();
        var h = host.data<float>().ToArray();
        for (int j = 0; j < width; j++)
            for (int c = 0; c < Chains; c++) result[c][j] = h[j * Chains + c];
        return result;
    }

    public void Dispose() => data.Dispose();
}
