using System.IO.MemoryMappedFiles;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// Reads a <c>.npy</c> file row block by row block (along axis 0) through a memory-mapped view, so a file larger
/// than memory can be streamed: each block is mapped, copied into a CPU tensor and unmapped, and only one block
/// is ever resident. The header is validated when the file is opened (magic, version, dtype, C order, and that the
/// file is as long as the header's shape says), with an error naming the file and what to do.
/// </summary>
public sealed class NpyReader : IDisposable
{
    readonly MemoryMappedFile map;
    readonly NpyHeader header;

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>Element type.</summary>
    public ScalarType DType => header.DType;
    /// <summary>Array shape (at least one axis).</summary>
    public long[] Shape => (long[])header.Shape.Clone();
    /// <summary>Length of axis 0.</summary>
    public long Rows => header.Shape[0];
    /// <summary>Elements per row (the product of the other axes; 1 for a vector).</summary>
    public long RowElements { get; }
    /// <summary>Bytes per row.</summary>
    public long RowBytes => RowElements * TensorBytes.ElementSize(DType);

    NpyReader(string path, MemoryMappedFile map, NpyHeader header)
    {
        Path = path; this.map = map; this.header = header;
        RowElements = header.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    public static NpyReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No .npy file at '{System.IO.Path.GetFullPath(path)}'.", path);
        long length = new FileInfo(path).Length;
        NpyHeader h;
        try
        {
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                var pre = new byte[Math.Min(NpyHeader.PreambleLength, length)];
                fs.ReadExactly(pre);
                long hl = NpyHeader.HeaderLength(pre);
                if (hl > length) throw new InvalidDataException("Truncated .npy header.");
                var all = new byte[hl];
                fs.Position = 0;
                fs.ReadExactly(all);
                h = NpyHeader.Parse(all);
            }
            if (h.Shape.Length == 0) throw new InvalidDataException("The array is a 0-d scalar; chunked reading needs at least one axis (use Npy.Read).");
            if (length - h.DataOffset < h.DataLength)
                throw new InvalidDataException($"The file holds {length - h.DataOffset} data bytes but shape ({string.Join(", ", h.Shape)}) of {h.DType} needs {h.DataLength}: it is truncated.");
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
        TorchRuntime.Initialize();
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        return new NpyReader(path, map, h);
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) as a new CPU tensor.</summary>
    public Tensor ReadRows(long start, long count)
    {
        var shape = header.Shape.ToArray();
        shape[0] = count;
        var t = empty(shape, dtype: DType, device: CPU);
        try { ReadRows(start, t); return t; }
        catch { t.Dispose(); throw; }
    }

    /// <summary>Copies rows [<paramref name="start"/>, <paramref name="start"/> + into.shape[0]) into the contiguous CPU tensor
    /// <paramref name="into"/> (same dtype and trailing shape).</summary>
    public unsafe void ReadRows(long start, Tensor into)
    {
        long count = into.shape[0];
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows [{start}, {start + count}) are outside the {Rows} rows of '{Path}'.");
        if (into.dtype != DType || into.device_type != DeviceType.CPU || !into.is_contiguous() || into.numel() != count * RowElements)
            throw new ArgumentException($"The buffer must be a contiguous CPU {DType} tensor of {count} × {RowElements} elements.", nameof(into));
        long bytes = count * RowBytes;
        if (bytes == 0) return;
        if (bytes > int.MaxValue) throw new ArgumentException($"A block of {bytes:N0} bytes is too large; read at most 2 GB at a time.", nameof(into));
        var dst = into.bytes;
        // Mapped in pieces of at most 8 MiB: a piece's pages leave the resident set when its view is unmapped, so the
        // mapping adds at most one piece to the memory of the block being filled.
        for (long done = 0; done < bytes; done += ViewBytes)
        {
            long len = Math.Min(ViewBytes, bytes - done);
            using var view = map.CreateViewAccessor(header.DataOffset + start * RowBytes + done, len, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            try { new ReadOnlySpan<byte>(p + view.PointerOffset, (int)len).CopyTo(dst.Slice((int)done, (int)len)); }
            finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        }
        if (header.BigEndian) TensorBytes.SwapInPlace(dst, (int)TensorBytes.ElementSize(DType));
    }

    const long ViewBytes = 8L << 20;

    /// <summary>Calls <paramref name="body"/>(start row, block) for consecutive blocks of at most <paramref name="rowsPerChunk"/> rows.
    /// The block tensor is reused: it is valid only during the call (clone it to keep it).</summary>
    public void ForEachChunk(long rowsPerChunk, Action<long, Tensor> body)
    {
        if (rowsPerChunk < 1) throw new ArgumentException($"rowsPerChunk must be ≥ 1 but is {rowsPerChunk}.", nameof(rowsPerChunk));
        long rows = Math.Min(rowsPerChunk, Math.Max(Rows, 1));
        var shape = header.Shape.ToArray();
        shape[0] = rows;
        using var buffer = empty(shape, dtype: DType, device: CPU);
        for (long s = 0; s < Rows; s += rows)
        {
            long m = Math.Min(rows, Rows - s);
            if (m == rows) { ReadRows(s, buffer); body(s, buffer); continue; }
            using var tail = buffer.narrow(0, 0, m);
            ReadRows(s, tail);
            body(s, tail);
        }
    }

    /// <summary>Rows per chunk so that one chunk of this file takes about <paramref name="bytes"/> bytes (at least one row).</summary>
    public long RowsForBytes(long bytes) => Math.Max(1, bytes / Math.Max(1, RowBytes));

    public void Dispose() => map.Dispose();
}
