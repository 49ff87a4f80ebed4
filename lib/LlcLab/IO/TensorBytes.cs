using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>Raw little-endian bytes of a tensor and back (C order). Shared by the .npy and safetensors codecs.</summary>
internal static class TensorBytes
{
    public static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        _ => throw new ArgumentException($"Tensors of dtype {t} cannot be stored; convert with .to(float32) first."),
    };

    /// <summary>The tensor's elements in C order as little-endian bytes (copies to the CPU if needed).</summary>
    public static byte[] Get(Tensor t)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        var c = t.detach().cpu().contiguous();
        try { return c.numel() == 0 ? [] : c.bytes.ToArray(); }
        finally { if (!ReferenceEquals(c, t)) c.Dispose(); }
    }

    /// <summary>A new CPU tensor of <paramref name="dtype"/> and <paramref name="shape"/> holding <paramref name="data"/> (little-endian, C order).</summary>
    public static Tensor Create(ReadOnlySpan<byte> data, ScalarType dtype, long[] shape)
    {
        TorchRuntime.Initialize();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        long need = n * ElementSize(dtype);
        if (data.Length != need)
            throw new InvalidDataException($"Expected {need} bytes for shape [{string.Join(",", shape)}] of {dtype}, found {data.Length}.");
        var t = empty(shape, dtype: dtype, device: CPU);
        if (n > 0) t.bytes = data.ToArray();
        return t;
    }

    /// <summary>Reverses the byte order of every element in place (for big-endian input).</summary>
    public static void SwapInPlace(Span<byte> data, int elementSize)
    {
        if (elementSize == 1) return;
        for (int i = 0; i + elementSize <= data.Length; i += elementSize) data.Slice(i, elementSize).Reverse();
    }
}
