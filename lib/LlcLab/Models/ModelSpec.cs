using System.Globalization;

namespace LlcLab.Models;

/// <summary>
/// A model described by a short string, so experiments, the CLI and result tables name models the
/// same way: <c>mlp:64-256-256-10:relu</c> (widths input→output, activation),
/// <c>dln:5-3-5</c> (deep linear network, no bias).
/// </summary>
public sealed record ModelSpec(string Kind, IReadOnlyList<long> Widths, Activation Activation, bool Bias, string Text)
{
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
            default:
                throw new ArgumentException($"Unknown model kind '{parts[0]}' in spec '{spec}'. Known: mlp, dln.");
        }
    }

    static long[] ParseWidths(string s, string spec)
    {
        var ws = s.Split('-', StringSplitOptions.RemoveEmptyEntries);
        if (ws.Length < 2) throw new ArgumentException($"Spec '{spec}' needs at least two widths (input and output).");
        return ws.Select(w => long.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new ArgumentException($"Width '{w}' in spec '{spec}' is not a positive integer.")).ToArray();
    }

    public override string ToString() => Text;
}
