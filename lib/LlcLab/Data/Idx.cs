using System.Buffers.Binary;
using System.IO.Compression;

namespace LlcLab.Data;

/// <summary>An IDX array of unsigned bytes: <see cref="Data"/> in row-major order with dimensions <see cref="Shape"/>.</summary>
public sealed record IdxArray(byte[] Data, int[] Shape)
{
    /// <summary>Number of items along the first dimension (images or labels).</summary>
    public int Count => Shape[0];

    /// <summary>Bytes per item (the product of the remaining dimensions; 1 for a label file).</summary>
    public int ItemSize => Shape.Skip(1).Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// Reader for the IDX format of LeCun's MNIST (and Fashion-MNIST): a big-endian header
/// <c>0x00 0x00 type ndim</c>, then <c>ndim</c> big-endian int32 dimension sizes, then the data in row-major order.
/// Only type 0x08 (unsigned byte, the one MNIST-style files use) is supported; the magic number is then
/// 0x0801 = 2049 for a label vector and 0x0803 = 2051 for an image stack [n, rows, cols].
/// A name ending in <c>.gz</c> is decompressed on the fly.
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an unsigned-byte label vector (ndim 1).</summary>
    public const int LabelMagic = 0x0801;
    /// <summary>Magic number of an unsigned-byte image stack (ndim 3).</summary>
    public const int ImageMagic = 0x0803;

    /// <summary>Reads the IDX file at <paramref name="path"/>; when <paramref name="expectedMagic"/> is given the file's magic must equal it.</summary>
    public static IdxArray Read(string path, int? expectedMagic = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No IDX file at '{Path.GetFullPath(path)}'.", path);
        using var fs = File.OpenRead(path);
        bool gz = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        if (gz && (fs.ReadByte() != 0x1f || fs.ReadByte() != 0x8b))
            throw new InvalidDataException($"'{path}' is named .gz but does not start with the gzip signature 1f 8b.");
        fs.Position = 0;
        using Stream s = gz ? new GZipStream(fs, CompressionMode.Decompress) : fs;
        return Read(s, path, expectedMagic);
    }

    /// <summary>Reads one IDX array from <paramref name="stream"/> (already decompressed); <paramref name="name"/> is used in errors.</summary>
    public static IdxArray Read(Stream stream, string name, int? expectedMagic = null)
    {
        Span<byte> head = stackalloc byte[4];
        ReadExactly(stream, head, name, "the 4-byte magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(head);
        if (head[0] != 0 || head[1] != 0)
            throw new InvalidDataException($"'{name}' does not start with an IDX magic number (got 0x{magic:X8}; IDX files start 0x0000TTNN). " +
                "Is it gzip-compressed without a .gz name, or not an IDX file?");
        if (head[2] != 0x08)
            throw new InvalidDataException($"'{name}' holds IDX type 0x{head[2]:X2}; only unsigned bytes (0x08, as in MNIST/Fashion-MNIST) are supported.");
        if (expectedMagic is int want && magic != want)
            throw new InvalidDataException($"'{name}' has IDX magic {magic} but {want} ({(want == ImageMagic ? "images" : want == LabelMagic ? "labels" : "expected")}) was expected: images and labels swapped?");
        int ndim = head[3];
        if (ndim < 1) throw new InvalidDataException($"'{name}' declares {ndim} dimensions; an IDX array needs at least one.");
        var shape = new int[ndim];
        long total = 1;
        for (int i = 0; i < ndim; i++)
        {
            ReadExactly(stream, head, name, $"dimension {i + 1} of {ndim}");
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(head);
            if (shape[i] < 0) throw new InvalidDataException($"'{name}' declares a negative size {shape[i]} for dimension {i + 1}.");
            total *= shape[i];
        }
        if (total > Array.MaxLength) throw new InvalidDataException($"'{name}' declares {total} bytes, more than one array can hold.");
        var data = new byte[total];
        ReadExactly(stream, data, name, $"{total} data bytes (shape [{string.Join(", ", shape)}])");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"'{name}' has data after the {total} bytes its header (shape [{string.Join(", ", shape)}]) declares.");
        return new IdxArray(data, shape);
    }

    static void ReadExactly(Stream s, Span<byte> buffer, string name, string what)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int k = s.Read(buffer[got..]);
            if (k == 0) throw new InvalidDataException($"'{name}' ends after {got} of the {buffer.Length} bytes of {what}: the file is truncated.");
            got += k;
        }
    }
}
