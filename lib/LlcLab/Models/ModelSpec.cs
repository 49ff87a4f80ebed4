using System.Globalization;

namespace LlcLab.Models;

/// <summary>
/// A model described by a short string, so experiments, the CLI and result tables name models the same way:
/// <list type="bullet">
/// <item><c>mlp:64-256-256-10:relu</c> — widths input→output, activation relu | gelu | tanh | linear (default relu).</item>
/// <item><c>dln:5-3-5</c> — deep linear network (no bias, no activation).</item>
/// <item><c>cnn:digits:16-32</c> — CNN for 8×8 one-channel images (input <c>[B, 64]</c>, 10 classes): one
///   conv 3×3 (padding 1) + ReLU + 2×2 max-pool stage per listed channel count, then a hidden fully connected
///   layer of 64 units (override with a third part <c>fc128</c>, or <c>fc0</c> for none), then 10 outputs.
///   <c>cnn:fashion:8:fc32</c> is the same family for 28×28 Fashion-MNIST images (input <c>[B, 784]</c>; pooling floors,
///   28 → 14 → 7 → 3). See <see cref="CnnFunctional"/>.</item>
/// <item><c>transformer:vocab=24,d=32,heads=2,layers=1,seq=3</c> — comma-separated <c>key=value</c> settings:
///   <c>vocab</c> (input tokens) and <c>seq</c> (sequence length) are required; <c>d</c> (model width, default 32),
///   <c>heads</c> (default 2; must divide d), <c>layers</c> (default 1), <c>mlp</c> (MLP width, default 4·d),
///   <c>out</c> (output classes, default vocab). See <see cref="TransformerFunctional"/>.</item>
/// </list>
/// </summary>
public sealed record ModelSpec(string Kind, IReadOnlyList<long> Widths, Activation Activation, bool Bias, string Text)
{
    /// <summary>Named integer settings (CNN: <c>fc</c>; transformer: <c>vocab, d, heads, layers, seq, mlp, out</c>).</summary>
    public IReadOnlyDictionary<string, long> Settings { get; init; } = new Dictionary<string, long>();

    public static ModelSpec Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("Empty model spec. Example: mlp:64-128-10:relu or dln:5-3-5.");
        var parts = spec.Trim().Split(':');
        var kind = parts[0].ToLowerInvariant();
        switch (kind)
        {
            case "mlp":
            case "dln":
                if (parts.Length < 2) throw new ArgumentException($"Spec '{spec}' lacks widths. Example: {kind}:64-128-10{(kind == "mlp" ? ":relu" : "")}.");
                var widths = ParseWidths(parts[1], spec);
                if (kind == "dln")
                {
                    if (parts.Length > 2) throw new ArgumentException($"Spec '{spec}': a deep linear network has no activation; write dln:{parts[1]}.");
                    return new ModelSpec(kind, widths, Activation.Identity, false, spec.Trim());
                }
                var act = parts.Length > 2 ? ActivationExtensions.ParseActivation(parts[2]) : Activation.ReLU;
                return new ModelSpec(kind, widths, act, true, spec.Trim());
            case "cnn":
                return ParseCnn(parts, spec);
            case "transformer":
                return ParseTransformer(parts, spec);
            default:
                throw new ArgumentException($"Unknown model kind '{parts[0]}' in spec '{spec}'. Known: mlp, dln, cnn, transformer.");
        }
    }

    static ModelSpec ParseCnn(string[] parts, string spec)
    {
        // The image side per data set: digits 8×8, Fashion-MNIST 28×28 (inputs are the images flattened row-major).
        long side = parts.Length >= 2 ? parts[1].ToLowerInvariant() switch { "digits" => 8, "fashion" => 28, _ => 0 } : 0;
        if (parts.Length < 3 || side == 0)
            throw new ArgumentException($"Spec '{spec}': write cnn:digits:16-32 (8×8 digit images) or cnn:fashion:8-16 (28×28 Fashion-MNIST images); channels per conv stage.");
        var channels = parts[2].Split('-').Select(w =>
            long.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"Channel count '{w}' in spec '{spec}' is not a positive integer.")).ToArray();
        if (channels.Length is < 1 or > 3) throw new ArgumentException($"Spec '{spec}': give 1 to 3 conv stages (8×8 → 4×4 → 2×2 → 1×1).");
        long fc = 64;
        if (parts.Length > 3)
        {
            var f = parts[3].Trim().ToLowerInvariant();
            if (!(f.StartsWith("fc") && long.TryParse(f[2..], NumberStyles.Integer, CultureInfo.InvariantCulture, out fc) && fc >= 0))
                throw new ArgumentException($"Spec '{spec}': the fourth part must be fcN (hidden fully connected width, fc0 for none), not '{parts[3]}'.");
        }
        if (parts.Length > 4) throw new ArgumentException($"Spec '{spec}' has too many parts. Example: cnn:digits:16-32:fc64.");
        var widths = new List<long> { side * side };
        widths.AddRange(channels);
        if (fc > 0) widths.Add(fc);
        widths.Add(10);
        return new ModelSpec("cnn", widths, Activation.ReLU, true, spec.Trim()) { Settings = new Dictionary<string, long> { ["fc"] = fc, ["convs"] = channels.Length, ["side"] = side } };
    }

    static readonly string[] TransformerKeys = ["vocab", "d", "heads", "layers", "seq", "mlp", "out"];

    static ModelSpec ParseTransformer(string[] parts, string spec)
    {
        if (parts.Length != 2) throw new ArgumentException($"Spec '{spec}': write transformer:vocab=24,d=32,heads=2,layers=1,seq=3.");
        var set = new Dictionary<string, long>();
        foreach (var kv in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var p = kv.Split('=');
            if (p.Length != 2 || !TransformerKeys.Contains(p[0].Trim().ToLowerInvariant()))
                throw new ArgumentException($"Spec '{spec}': '{kv}' is not key=value with key one of {string.Join(", ", TransformerKeys)}.");
            if (!long.TryParse(p[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v <= 0)
                throw new ArgumentException($"Spec '{spec}': '{kv}' needs a positive integer value.");
            set[p[0].Trim().ToLowerInvariant()] = v;
        }
        foreach (var req in new[] { "vocab", "seq" })
            if (!set.ContainsKey(req)) throw new ArgumentException($"Spec '{spec}' lacks '{req}='. Example: transformer:vocab=24,d=32,heads=2,layers=1,seq=3.");
        set.TryAdd("d", 32);
        set.TryAdd("heads", 2);
        set.TryAdd("layers", 1);
        set.TryAdd("mlp", 4 * set["d"]);
        set.TryAdd("out", set["vocab"]);
        if (set["d"] % set["heads"] != 0) throw new ArgumentException($"Spec '{spec}': heads={set["heads"]} must divide d={set["d"]}.");
        return new ModelSpec("transformer", [set["seq"], set["d"], set["out"]], Activation.ReLU, true, spec.Trim()) { Settings = set };
    }

    static long[] ParseWidths(string s, string spec)
    {
        // An empty width ("64--10") is a typo, not a request for fewer layers: refuse it rather than drop it.
        var ws = s.Split('-');
        if (ws.Any(w => w.Trim().Length == 0))
            throw new ArgumentException($"Spec '{spec}' has an empty width between '-' signs (a typo?). Example: mlp:64-32-10:relu.");
        if (ws.Length < 2) throw new ArgumentException($"Spec '{spec}' needs at least two widths (input and output).");
        return ws.Select(w => long.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new ArgumentException($"Width '{w}' in spec '{spec}' is not a positive integer.")).ToArray();
    }

    public override string ToString() => Text;
}
