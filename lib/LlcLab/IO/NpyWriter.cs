using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// Writes a <c>.npy</c> file row block by row block, atomically (<see cref="AtomicFile"/>): the header for the final
/// shape is written first, blocks are appended with <see cref="Write"/>, and <see cref="Commit"/> checks that exactly
/// <c>shape[0]</c> rows arrived before renaming the file into place. The bytes equal <c>numpy.save</c> of the whole array.
/// Disposing without committing leaves any previous file untouched.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    readonly AtomicFileWriter file;
    readonly long[] shape;
    readonly long rowElements;
    long written;

    /// <summary>The element type rows must have.</summary>
    public ScalarType DType { get; }

    /// <param name="path">Target file.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Shape of the whole array (axis 0 = rows to be written).</param>
    public NpyWriter(string path, ScalarType dtype, long[] shape)
    {
        if (shape.Length == 0) throw new ArgumentException("Chunked writing needs at least one axis; use Npy.Write for scalars.", nameof(shape));
        DType = dtype;
        this.shape = (long[])shape.Clone();
        rowElements = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var header = NpyHeader.Encode(dtype, shape);
        file = AtomicFile.Open(path);
        file.Stream.Write(header);
    }

    /// <summary>Appends the rows of <paramref name="rows"/> (dtype <see cref="DType"/>, trailing shape as declared; moved to the CPU if needed).</summary>
    public void Write(Tensor rows)
    {
        if (rows.dtype != DType) throw new ArgumentException($"Rows have dtype {rows.dtype} but the file was declared {DType}.", nameof(rows));
        if (rows.dim() != shape.Length || !rows.shape.Skip(1).SequenceEqual(shape.Skip(1)))
            throw new ArgumentException($"Rows of shape [{string.Join(", ", rows.shape)}] do not fit the declared shape ({string.Join(", ", shape)}).", nameof(rows));
        long n = rows.shape[0];
        if (written + n > shape[0]) throw new InvalidOperationException($"Writing {n} more rows would exceed the declared {shape[0]}.");
        if (n == 0) return;
        var c = rows.device_type == DeviceType.CPU && rows.is_contiguous() ? rows : rows.cpu().contiguous();
        try
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
            long bytes = n * rowElements * IO.TensorBytes.ElementSize(DType);
            if (bytes > int.MaxValue) throw new ArgumentException("Write at most 2 GB at a time.", nameof(rows));
            file.Stream.Write(c.bytes);
        }
        finally { if (!ReferenceEquals(c, rows)) c.Dispose(); }
        written += n;
    }

    /// <summary>Checks that every row was written, flushes to disk and renames the file into place.</summary>
    public void Commit()
    {
        if (written != shape[0]) throw new InvalidOperationException($"{written} of the declared {shape[0]} rows were written; the file was not committed.");
        file.Commit();
    }

    public void Dispose() => file.Dispose();
}
