using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; see numpy/lib/format.py).
/// Layout: the magic <c>\x93NUMPY</c>, major and minor version bytes, the header length
/// (uint16 little-endian in v1, uint32 in v2/v3), then a Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> padded with spaces and
/// ended by <c>\n</c> so that the data starts at a multiple of 64 bytes, then the raw C-order data.
/// Supported dtypes: float32, float64, int64, int32, uint8, bool (and float16, int16, int8 on read);
/// big-endian input is byte-swapped; Fortran order is rejected with a clear error.
/// <see cref="Write(string, Tensor)"/> produces the same bytes as <c>numpy.save</c>
/// (including numpy's 21-character growth padding after the header dict).
/// </summary>
public static class Npy
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    const int ArrayAlign = 64;
    const int GrowthAxisMaxDigits = 21;

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
        if (file.Length < 10 || !file[..6].SequenceEqual(Magic))
            throw new InvalidDataException("Not a .npy file (the magic string \\x93NUMPY is missing).");
        byte major = file[6], minor = file[7];
        int headerLen, dataStart;
        Encoding enc;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(file.Slice(8, 2)); dataStart = 10 + headerLen; enc = Encoding.Latin1; break;
            case 2:
            case 3:
                if (file.Length < 12) throw new InvalidDataException("Truncated .npy header.");
                uint l = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(8, 4));
                if (l > int.MaxValue) throw new InvalidDataException("Implausible .npy header length.");
                headerLen = (int)l; dataStart = 12 + headerLen; enc = major == 3 ? Encoding.UTF8 : Encoding.Latin1; break;
            default:
                throw new InvalidDataException($".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are).");
        }
        if (dataStart > file.Length) throw new InvalidDataException("Truncated .npy header.");
        var header = enc.GetString(file[(dataStart - headerLen)..dataStart]);
        var (descr, fortran, shape) = ParseHeader(header);
        if (fortran && shape.Count(d => d != 1) > 1)
            throw new InvalidDataException("The array is stored in Fortran (column-major) order, which is not supported. " +
                                           "Save it from Python with np.save(path, np.ascontiguousarray(a)).");
        var (dtype, bigEndian) = ParseDescr(descr);
        var data = file[dataStart..];
        long n = shape.Aggregate(1L, (a, b) => a * b);
        long need = n * TensorBytes.ElementSize(dtype);
        if (data.Length < need) throw new InvalidDataException($"The file holds {data.Length} data bytes but shape ({string.Join(", ", shape)}) of '{descr}' needs {need}.");
        data = data[..(int)need];
        if (bigEndian)
        {
            var copy = data.ToArray();
            TensorBytes.SwapInPlace(copy, (int)TensorBytes.ElementSize(dtype));
            return TensorBytes.Create(copy, dtype, shape);
        }
        return TensorBytes.Create(data, dtype, shape);
    }

    /// <summary>The bytes <c>numpy.save</c> writes for the same array (version 1.0 header unless it needs more than 65535 bytes).</summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var descr = Descr(tensor.dtype);
        var shape = tensor.shape;
        var sb = new StringBuilder("{");
        sb.Append("'descr': '").Append(descr).Append("', ");
        sb.Append("'fortran_order': False, ");
        sb.Append("'shape': ").Append(ShapeRepr(shape)).Append(", ");
        sb.Append('}');
        if (shape.Length > 0) sb.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        var headerText = sb.ToString();
        var header = Encoding.Latin1.GetBytes(headerText);
        int version = 1;
        int lenField = 2;
        int hlen = header.Length + 1;
        int pad = ArrayAlign - (Magic.Length + 2 + lenField + hlen) % ArrayAlign;
        if (hlen + pad > ushort.MaxValue)
        {
            version = 2; lenField = 4;
            pad = ArrayAlign - (Magic.Length + 2 + lenField + hlen) % ArrayAlign;
        }
        var data = TensorBytes.Get(tensor);
        int prefix = Magic.Length + 2 + lenField;
        var result = new byte[prefix + hlen + pad + data.Length];
        Magic.CopyTo(result, 0);
        result[6] = (byte)version; result[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(hlen + pad));
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(hlen + pad));
        header.CopyTo(result, prefix);
        result.AsSpan(prefix + header.Length, pad).Fill((byte)' ');
        result[prefix + header.Length + pad] = (byte)'\n';
        data.CopyTo(result, prefix + hlen + pad);
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

    static (string descr, bool fortran, long[] shape) ParseHeader(string header)
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
