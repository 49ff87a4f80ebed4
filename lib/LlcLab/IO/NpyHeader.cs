using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// The header of a NumPy <c>.npy</c> file (format versions 1.0, 2.0 and 3.0; numpy/lib/format.py): the magic
/// <c>\x93NUMPY</c>, major and minor version bytes, the header length (uint16 little-endian in v1, uint32 in
/// v2/v3), then a Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>
/// padded with spaces and ended by <c>\n</c> so that the data starts at a multiple of 64 bytes. The one parser
/// and encoder of headers, shared by whole-file (<see cref="Npy"/>) and chunked (<see cref="NpyReader"/>,
/// <see cref="NpyWriter"/>) access.
/// </summary>
/// <param name="DType">Element type.</param>
/// <param name="BigEndian">Elements are stored big-endian (byte-swapped on read).</param>
/// <param name="Shape">Array shape (C order).</param>
/// <param name="DataOffset">Byte offset of the first element.</param>
internal sealed record NpyHeader(ScalarType DType, bool BigEndian, long[] Shape, long DataOffset)
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    const int ArrayAlign = 64;
    const int GrowthAxisMaxDigits = 21;

    /// <summary>Bytes to read from the start of a file before <see cref="Parse"/> can tell the full header length.</summary>
    public const int PreambleLength = 12;

    /// <summary>Number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of data the header promises.</summary>
    public long DataLength => Count * TensorBytes.ElementSize(DType);

    /// <summary>Total header length (preamble + dict) given the first <see cref="PreambleLength"/> bytes (or the whole file if shorter).</summary>
    public static long HeaderLength(ReadOnlySpan<byte> preamble)
    {
        if (preamble.Length < 10 || !preamble[..6].SequenceEqual(Magic))
            throw new InvalidDataException("Not a .npy file (the magic string \\x93NUMPY is missing).");
        byte major = preamble[6], minor = preamble[7];
        switch (major)
        {
            case 1: return 10L + BinaryPrimitives.ReadUInt16LittleEndian(preamble.Slice(8, 2));
            case 2:
            case 3:
                if (preamble.Length < 12) throw new InvalidDataException("Truncated .npy header.");
                uint l = BinaryPrimitives.ReadUInt32LittleEndian(preamble.Slice(8, 4));
                if (l > int.MaxValue) throw new InvalidDataException("Implausible .npy header length.");
                return 12L + l;
            default:
                throw new InvalidDataException($".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are).");
        }
    }

    /// <summary>Parses a header from the start of a file (<paramref name="start"/> must hold at least the whole header).
    /// Rejects Fortran order (for arrays with more than one non-trivial axis) and unsupported dtypes with messages saying what to do.</summary>
    public static NpyHeader Parse(ReadOnlySpan<byte> start)
    {
        long total = HeaderLength(start);
        if (total > start.Length) throw new InvalidDataException("Truncated .npy header.");
        int prefix = start[6] == 1 ? 10 : 12;
        var enc = start[6] == 3 ? Encoding.UTF8 : Encoding.Latin1;
        var text = enc.GetString(start[prefix..(int)total]);
        var (descr, fortran, shape) = ParseDict(text);
        if (fortran && shape.Count(d => d != 1) > 1)
            throw new InvalidDataException("The array is stored in Fortran (column-major) order, which is not supported. " +
                                           "Save it from Python with np.save(path, np.ascontiguousarray(a)).");
        var (dtype, big) = ParseDescr(descr);
        return new NpyHeader(dtype, big, shape, total);
    }

    /// <summary>The header bytes <c>numpy.save</c> writes for an array of <paramref name="dtype"/> and <paramref name="shape"/>
    /// (version 1.0 unless it needs more than 65535 bytes; numpy's 21-character growth padding after the dict).</summary>
    public static byte[] Encode(ScalarType dtype, long[] shape)
    {
        var sb = new StringBuilder("{");
        sb.Append("'descr': '").Append(Descr(dtype)).Append("', ");
        sb.Append("'fortran_order': False, ");
        sb.Append("'shape': ").Append(ShapeRepr(shape)).Append(", ");
        sb.Append('}');
        if (shape.Length > 0) sb.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        var dict = Encoding.Latin1.GetBytes(sb.ToString());
        int version = 1, lenField = 2, hlen = dict.Length + 1;
        int pad = ArrayAlign - (Magic.Length + 2 + lenField + hlen) % ArrayAlign;
        if (hlen + pad > ushort.MaxValue)
        {
            version = 2; lenField = 4;
            pad = ArrayAlign - (Magic.Length + 2 + lenField + hlen) % ArrayAlign;
        }
        int prefix = Magic.Length + 2 + lenField;
        var result = new byte[prefix + hlen + pad];
        Magic.CopyTo(result, 0);
        result[6] = (byte)version; result[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(hlen + pad));
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(hlen + pad));
        dict.CopyTo(result, prefix);
        result.AsSpan(prefix + dict.Length, pad).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>Python's repr of a shape tuple: <c>()</c>, <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    static string ShapeRepr(long[] shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
        _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    static string Descr(ScalarType t) => t switch
    {
        ScalarType.Float32 => "<f4",
        ScalarType.Float64 => "<f8",
        ScalarType.Int64 => "<i8",
        ScalarType.Int32 => "<i4",
        ScalarType.Int16 => "<i2",
        ScalarType.Float16 => "<f2",
        ScalarType.Byte => "|u1",
        ScalarType.Int8 => "|i1",
        ScalarType.Bool => "|b1",
        _ => throw new ArgumentException($"Tensors of dtype {t} have no .npy equivalent; convert with .to(float32) first."),
    };

    static (ScalarType, bool bigEndian) ParseDescr(string descr)
    {
        if (descr.Length < 2) throw new InvalidDataException($"Unsupported .npy dtype '{descr}'.");
        char order = descr[0];
        string code = order is '<' or '>' or '|' or '=' ? descr[1..] : descr;
        bool big = order == '>';
        ScalarType t = code switch
        {
            "f4" => ScalarType.Float32,
            "f8" => ScalarType.Float64,
            "f2" => ScalarType.Float16,
            "i8" => ScalarType.Int64,
            "i4" => ScalarType.Int32,
            "i2" => ScalarType.Int16,
            "i1" => ScalarType.Int8,
            "u1" => ScalarType.Byte,
            "b1" => ScalarType.Bool,
            _ => throw new InvalidDataException(
                $"Unsupported .npy dtype '{descr}'. Supported: float32/float64/float16, int64/int32/int16/int8, uint8, bool; " +
                "convert in Python first, e.g. np.save(path, a.astype(np.float32))."),
        };
        return (t, big && TensorBytes.ElementSize(t) > 1);
    }

    static readonly Regex DescrRx = new(@"'descr'\s*:\s*(?<q>['""])(?<v>[^'""]*)\k<q>", RegexOptions.Compiled);
    static readonly Regex FortranRx = new(@"'fortran_order'\s*:\s*(?<v>True|False)", RegexOptions.Compiled);
    static readonly Regex ShapeRx = new(@"'shape'\s*:\s*\((?<v>[^)]*)\)", RegexOptions.Compiled);

    static (string descr, bool fortran, long[] shape) ParseDict(string header)
    {
        var d = DescrRx.Match(header);
        var f = FortranRx.Match(header);
        var s = ShapeRx.Match(header);
        if (!d.Success)
            throw new InvalidDataException(header.Contains("'descr': [")
                ? "Structured (record) .npy arrays are not supported; save each field as its own plain array."
                : $"The .npy header lacks a 'descr' entry: {header.Trim()}");
        if (!f.Success || !s.Success) throw new InvalidDataException($"Malformed .npy header: {header.Trim()}");
        var dims = s.Groups["v"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => long.TryParse(x.TrimEnd('L'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
                ? v : throw new InvalidDataException($"Bad dimension '{x}' in .npy header: {header.Trim()}"))
            .ToArray();
        return (d.Groups["v"].Value, f.Groups["v"].Value == "True", dims);
    }
}
