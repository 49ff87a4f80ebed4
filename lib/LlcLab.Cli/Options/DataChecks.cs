using LlcLab.Data;
using LlcLab.Models;
using static TorchSharp.torch;

namespace LlcLab.Cli.Options;

/// <summary>
/// Checks of data against itself and against a model, run before any work so that a bad input is one clear error
/// (exit 2) instead of a libtorch stack trace or a result that looks fine: no rows, NaN/∞ (named as such, with the
/// first bad position), labels outside 0…K−1, inputs of the wrong width, and more classes than the model has outputs.
/// </summary>
public static class DataChecks
{
    /// <summary>The data on its own: rows, finiteness, label range.</summary>
    public static void Table(Dataset d, DataChoice c)
    {
        string where = c.Labels is null ? $"--data {c.Data}" : $"--data {c.Data} --labels {c.Labels}";
        if (d.Count == 0) throw new ArgumentException($"{where} has no rows; give a data set with at least 2 examples.");
        NonFinite(d.X, $"--data {c.Data}", "inputs");
        if (!d.IsClassification) { NonFinite(d.Y, c.Labels is null ? $"--data {c.Data}" : $"--labels {c.Labels}", "targets"); return; }
        long min = d.Y.min().item<long>();
        if (min < 0)
        {
            long row = d.Y.lt(0).nonzero()[0, 0].item<long>();
            throw new ArgumentException($"{LabelSource(c)} holds the label {min} (row {row}); class labels must be 0, 1, …, K−1.");
        }
    }

    /// <summary>Throws when <paramref name="t"/> (floating point) holds NaN or ±∞, naming the count and the first position.</summary>
    public static void NonFinite(Tensor t, string flag, string what)
    {
        if (!t.is_floating_point() || t.numel() == 0) return;
        using var bad = t.isfinite().logical_not();
        long count = bad.sum().item<long>();
        if (count == 0) return;
        using var first = bad.nonzero()[0];
        var pos = first.data<long>().ToArray();
        double v = t.index(pos.Select(p => TensorIndex.Single(p)).ToArray()).to(ScalarType.Float64).item<double>();
        string kind = double.IsNaN(v) ? "NaN" : v > 0 ? "+∞" : "−∞";
        throw new ArgumentException($"{flag}: the {what} hold {count} NaN/∞ value(s), the first a {kind} at [{string.Join(", ", pos)}]. " +
            "Remove or impute them; llclab does not train or sample on non-finite data.");
    }

    /// <summary>The model against the data: a forward pass on two rows must work, and a classifier needs an output per class.</summary>
    public static void ModelFits(Network net, Dataset d, string modelFlag, DataChoice c)
    {
        var spec = net.Spec;
        string shape = $"[{string.Join(", ", d.X.shape)}]";
        if (spec.Kind is "mlp" or "dln" && (d.X.dim() != 2 || d.X.shape[1] != spec.Widths[0]))
            throw new ArgumentException($"{modelFlag} '{spec.Text}' takes inputs of width {spec.Widths[0]}, but --data {c.Data} has X {shape}. " +
                $"Make the first width {(d.X.dim() == 2 ? d.X.shape[1] : "the feature count")}, e.g. {Suggest(spec, first: d.X.dim() == 2 ? d.X.shape[1] : null)}.");
        long outputs;
        try
        {
            using var _ = NewDisposeScope();
            using var __ = no_grad();
            var x = d.X.narrow(0, 0, Math.Min(2, d.Count)).to(net.Device);
            var y = net.Forward(x);
            outputs = y.dim() >= 2 ? y.shape[^1] : 1;
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"{modelFlag} '{spec.Text}' cannot read --data {c.Data} (X {shape} {d.X.dtype}): {FirstLine(e.Message)}");
        }
        if (!d.IsClassification) return;
        long classes = d.Y.max().item<long>() + 1;
        if (classes > outputs)
        {
            long row = d.Y.ge(outputs).nonzero()[0, 0].item<long>();
            long label = d.Y[row].item<long>();
            throw new ArgumentException($"{LabelSource(c)} holds the label {label} (row {row}; {classes} classes), but {modelFlag} '{spec.Text}' has {outputs} outputs (labels 0…{outputs - 1}). " +
                (spec.Kind is "mlp" or "dln" ? $"Use an output width of {classes}, e.g. {Suggest(spec, last: classes)}, or fix the labels." : "Fix the labels or the model."));
        }
    }

    static string LabelSource(DataChoice c) => c.Labels is not null ? $"--labels {c.Labels}" : $"--data {c.Data}";

    static string Suggest(ModelSpec spec, long? first = null, long? last = null)
    {
        var w = spec.Widths.ToArray();
        if (first is { } f) w[0] = f;
        if (last is { } l) w[^1] = l;
        var parts = spec.Text.Split(':');
        parts[1] = string.Join("-", w);
        return string.Join(":", parts);
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
