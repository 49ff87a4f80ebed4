using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// NumPy <c>.npy</c> files read or written whole (format versions 1.0, 2.0 and 3.0; the header is
/// <see cref="NpyHeader"/>, then the raw C-order data). Supported dtypes: float32, float64, int64, int32,
/// uint8, bool (and float16, int16, int8 on read); big-endian input is byte-swapped; Fortran order is
/// rejected with a clear error. <see cref="Write(string, Tensor)"/> produces the same bytes as
/// <c>numpy.save</c>. For files larger than memory use <see cref="NpyReader"/> and <see cref="NpyWriter"/>,
/// which read and write the same format chunk by chunk.
/// </summary>
public static class Npy
{
    /// <summary>Reads a .npy file into a CPU tensor of the stored dtype and shape.</summary>
    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No .npy file at '{Path.GetFullPath(path)}'.", path);
        try { return FromBytes(File.ReadAllBytes(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
    }

    /// <summary>Writes <paramref name="tensor"/> as a .npy file (atomically), byte-for-byte as <c>numpy.save</c> would.</summary>
    public static void Write(string path, Tensor tensor) => AtomicFile.WriteAllBytes(path, ToBytes(tensor));

    /// <summary>Parses the bytes of a .npy file.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> file)
    {
        var h = NpyHeader.Parse(file);
        var data = file[(int)h.DataOffset..];
        long need = h.DataLength;
        if (data.Length < need)
            throw new InvalidDataException($"The file holds {data.Length} data bytes but shape ({string.Join(", ", h.Shape)}) of {h.DType} needs {need}.");
        data = data[..(int)need];
        if (h.BigEndian)
        {
            var copy = data.ToArray();
            TensorBytes.SwapInPlace(copy, (int)TensorBytes.ElementSize(h.DType));
            return TensorBytes.Create(copy, h.DType, h.Shape);
        }
        return TensorBytes.Create(data, h.DType, h.Shape);
    }

    /// <summary>The bytes <c>numpy.save</c> writes for the same array (version 1.0 header unless it needs more than 65535 bytes).</summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var header = NpyHeader.Encode(tensor.dtype, tensor.shape);
        var data = TensorBytes.Get(tensor);
        var result = new byte[header.Length + data.Length];
        header.CopyTo(result, 0);
        data.CopyTo(result, header.Length);
        return result;
    }
}
