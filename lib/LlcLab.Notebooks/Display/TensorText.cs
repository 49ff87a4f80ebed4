using System.Globalization;
using System.Reflection;

namespace LlcLab.Notebooks.Display;

/// <summary>
/// Readable text for TorchSharp tensors, found by type name (<c>TorchSharp.torch+Tensor</c>) and read
/// by reflection, so the executor needs no compile-time tie to the notebook's TorchSharp copy:
/// a header <c>Tensor [2, 3] Float32 cpu</c> and a preview of the values (numpy style, elided by
/// TorchSharp's print options; only the first elements for very large tensors).
/// </summary>
public static class TensorText
{
    /// <summary>Above this many elements only the header and a flattened prefix are shown.</summary>
    public const long FullPrintLimit = 10_000;

    public static bool IsTensor(object? value) => value?.GetType().FullName == "TorchSharp.torch+Tensor";

    public static string Format(object tensor)
    {
        var t = tensor.GetType();
        var shape = (long[])t.GetProperty("shape")!.GetValue(tensor)!;
        string dtype = t.GetProperty("dtype")!.GetValue(tensor)!.ToString()!;
        string device = t.GetProperty("device")?.GetValue(tensor)?.ToString() ?? "?";
        long numel = (long)t.GetProperty("NumberOfElements")!.GetValue(tensor)!;
        string header = $"Tensor [{string.Join(", ", shape)}] {dtype} {device}";
        try
        {
            if ((bool?)t.GetProperty("IsInvalid")?.GetValue(tensor) == true) return header + " (disposed)";
            if (numel <= FullPrintLimit) return header + "\n" + Values(tensor, t);
            // Flatten and show the first few values only.
            var flatten = t.GetMethod("flatten", [typeof(long), typeof(long)]);
            var slice = t.GetMethods().FirstOrDefault(m => m.Name == "narrow" && m.GetParameters().Length == 3);
            if (flatten is null || slice is null) return header;
            using var flat = (IDisposable)flatten.Invoke(tensor, [0L, -1L])!;
            using var head = (IDisposable)slice.Invoke(flat, [0L, 0L, 20L])!;
            return header + "\nfirst 20 of " + numel.ToString(CultureInfo.InvariantCulture) + " values (flattened):\n" + Values(head, t);
        }
        catch (Exception e) when (e is TargetInvocationException or InvalidCastException or ArgumentException)
        {
            return header + $" (values unavailable: {(e.InnerException ?? e).Message})";
        }
    }

    static string Values(object tensor, Type t)
    {
        // ToString(TensorStringStyle style, string fltFormat, int? width, CultureInfo culture, string newLine)
        var m = t.GetMethods().FirstOrDefault(m =>
        {
            var p = m.GetParameters();
            return m.Name == "ToString" && p.Length == 5 && p[0].ParameterType.IsEnum && p[0].ParameterType.Name == "TensorStringStyle";
        });
        if (m is null) return tensor.ToString() ?? "";
        var style = Enum.Parse(m.GetParameters()[0].ParameterType, "Numpy");
        return (string)m.Invoke(tensor, [style, "g5", 100, CultureInfo.InvariantCulture, "\n"])!;
    }
}
