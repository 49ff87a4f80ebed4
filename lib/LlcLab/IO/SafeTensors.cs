using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LlcLab.IO;

/// <summary>
/// The safetensors format (Hugging Face; github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of JSON
/// <c>{"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}</c>
/// padded with spaces to a multiple of 8, then the tensors' raw little-endian C-order bytes
/// (offsets are relative to the end of the header). Keys are PyTorch state-dict names
/// (<c>0.weight</c>, <c>0.bias</c>, …), so <c>safetensors.torch.save_file(model.state_dict(), path)</c>
/// files load here and files written here load in PyTorch.
/// Dtypes: F32, F64, I64, I32, I16, I8, U8, BOOL, F16, BF16 (read and written; dtype preserved).
/// The writer orders tensors like the reference implementation (larger element size first, then by name).
/// </summary>
public static class SafeTensors
{
    const string MetadataKey = "__metadata__";
    const long MaxHeader = 100_000_000;

    /// <summary>Reads every tensor (CPU, stored dtype) keyed by name, in file order.</summary>
    public static Dictionary<string, Tensor> Read(string path) => ReadWithMetadata(path).Tensors;

    /// <summary>Reads only the <c>__metadata__</c> string map (empty if absent).</summary>
    public static Dictionary<string, string> ReadMetadata(string path) => ReadWithMetadata(path).Metadata;

    /// <summary>Reads tensors and the <c>__metadata__</c> map.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadWithMetadata(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at '{Path.GetFullPath(path)}'.", path);
        try { return FromBytes(File.ReadAllBytes(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
    }

    /// <summary>Writes <paramref name="tensors"/> (any device; copied to the CPU) with optional string metadata, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.WriteAllBytes(path, ToBytes(tensors, metadata));

    /// <summary>Parses the bytes of a safetensors file.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) FromBytes(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8) throw new InvalidDataException("Not a safetensors file (shorter than its 8-byte header length).");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file[..8]);
        if (n > MaxHeader || 8 + (long)n > file.Length)
            throw new InvalidDataException($"Not a safetensors file (header length {n} does not fit the {file.Length}-byte file).");
        var data = file[(8 + (int)n)..];
        using var doc = ParseJson(file.Slice(8, (int)n));
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("The safetensors header is not a JSON object.");
        var tensors = new Dictionary<string, Tensor>();
        var meta = new Dictionary<string, string>();
        try
        {
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == MetadataKey)
                {
                    if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                    foreach (var m in prop.Value.EnumerateObject())
                        meta[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                var e = prop.Value;
                var dtype = ParseDtype(e.GetProperty("dtype").GetString() ?? "", prop.Name);
                var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offs = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > data.Length)
                    throw new InvalidDataException($"Tensor '{prop.Name}' has data_offsets [{string.Join(",", offs)}] outside the {data.Length}-byte data section.");
                long numel = shape.Aggregate(1L, (a, b) => a * b);
                if ((offs[1] - offs[0]) != numel * TensorBytes.ElementSize(dtype))
                    throw new InvalidDataException($"Tensor '{prop.Name}': shape [{string.Join(",", shape)}] of {dtype} needs {numel * TensorBytes.ElementSize(dtype)} bytes but data_offsets span {offs[1] - offs[0]}.");
                tensors[prop.Name] = TensorBytes.Create(data[(int)offs[0]..(int)offs[1]], dtype, shape);
            }
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException($"Malformed safetensors header entry: {ex.Message}", ex);
        }
        return (tensors, meta);
    }

    /// <summary>The bytes of a safetensors file holding <paramref name="tensors"/>.</summary>
    public static byte[] ToBytes(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.ContainsKey(MetadataKey)) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot be a tensor name.");
        var order = tensors
            .Select(kv => (kv.Key, kv.Value, Size: TensorBytes.ElementSize(kv.Value.dtype)))
            .OrderByDescending(t => t.Size).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t, _) in order)
            {
                var bytes = TensorBytes.Get(t);
                blobs.Add(bytes);
                w.WriteStartObject(name);
                w.WriteString("dtype", DtypeName(t.dtype));
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }
            w.WriteEndObject();
        }
        var header = ms.ToArray();
        int pad = (8 - header.Length % 8) % 8;
        long total = 8 + header.Length + pad + blobs.Sum(b => (long)b.Length);
        var result = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)(header.Length + pad));
        header.CopyTo(result, 8);
        result.AsSpan(8 + header.Length, pad).Fill((byte)' ');
        long pos = 8 + header.Length + pad;
        foreach (var b in blobs) { b.CopyTo(result, pos); pos += b.Length; }
        return result;
    }

    static JsonDocument ParseJson(ReadOnlySpan<byte> header)
    {
        try { return JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw new InvalidDataException($"The safetensors header is not valid JSON: {e.Message}", e); }
    }

    static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"Tensors of dtype {t} cannot be stored in safetensors; convert with .to(float32) first."),
    };

    static ScalarType ParseDtype(string s, string name) => s switch
    {
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"Tensor '{name}' has unsupported safetensors dtype '{s}' (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)."),
    };
}
