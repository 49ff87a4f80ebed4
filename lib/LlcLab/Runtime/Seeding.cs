using TorchSharp;

namespace LlcLab.Runtime;

/// <summary>
/// Reproducibility. TorchSharp's global RNG is shared by the whole process (and by xunit's
/// parallel test classes), so library code draws from its own <see cref="torch.Generator"/>
/// made here, never from the global one.
/// </summary>
public static class Seeding
{
    /// <summary>A private generator on <paramref name="device"/> (default CPU) seeded with <paramref name="seed"/>.</summary>
    public static torch.Generator Generator(long seed, torch.Device? device = null)
    {
        TorchRuntime.Initialize();
        var g = new torch.Generator((ulong)seed, device ?? torch.CPU);
        return g;
    }

    /// <summary>Seeds TorchSharp's global RNG (used for module initialisation) — for CLI/notebook top level only.</summary>
    public static void SetGlobal(long seed)
    {
        TorchRuntime.Initialize();
        torch.manual_seed(seed);
    }

    /// <summary>Derives independent sub-seeds (e.g. one per chain) from one seed (SplitMix64).</summary>
    public static long Derive(long seed, long stream)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(stream + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFUL);
    }
}
