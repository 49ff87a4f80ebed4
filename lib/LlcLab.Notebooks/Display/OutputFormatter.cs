using System.Collections;
using System.Data;
using System.Net;

namespace LlcLab.Notebooks.Display;

/// <summary>
/// Turns a displayed value into a MIME bundle the way the C# kernel would, in order:
/// Plotly <c>GenericChart</c> → interactive offline HTML; TorchSharp tensor → shape/dtype/values text;
/// <see cref="DataTable"/>, sequences of records/objects and dictionaries → HTML table;
/// sequences of scalars → <c>[1, 2, 3]</c>; anything else → <c>ToString()</c>; null → <c>&lt;null&gt;</c>.
/// </summary>
public static class OutputFormatter
{
    public static FormattedValue Format(object? value)
    {
        switch (value)
        {
            case null:
                return Plain("<null>");
            case string s:
                return Plain(s);
            case var c when PlotlyHtml.IsChart(c):
                return new FormattedValue(new Dictionary<string, string>
                {
                    ["text/html"] = PlotlyHtml.NotebookFragment(c),
                    ["text/plain"] = $"Plotly chart (plotly.js {PlotlyHtml.PlotlyJsVersion}, interactive in the HTML output)",
                }, Chart: c);
            case var t when TensorText.IsTensor(t):
                return Plain(TensorText.Format(t));
            case DataTable table:
                return HtmlTable.Format(table);
            case IEnumerable seq when !IsDisplayedByToString(value):
                return HtmlTable.TryFormatSequence(seq) ?? Plain(ScalarList(seq));
            default:
                return Plain(value.ToString() ?? "");
        }
    }

    /// <summary>Text with an HTML <c>&lt;pre&gt;</c> twin, as the kernel emits for plain values.</summary>
    public static FormattedValue Plain(string text) => new(new Dictionary<string, string>
    {
        ["text/html"] = "<div class=\"dni-plaintext\"><pre>" + WebUtility.HtmlEncode(text) + "</pre></div>",
        ["text/plain"] = text,
    });

    // Types that are IEnumerable but read better through their own ToString (records with a
    // custom ToString that implement IEnumerable are rare; tensors are handled before).
    static bool IsDisplayedByToString(object value) =>
        value.GetType().FullName is "TorchSharp.torch+Tensor";

    static string ScalarList(IEnumerable seq)
    {
        var items = seq.Cast<object?>().Take(HtmlTable.MaxRows + 1).ToList();
        string body = string.Join(", ", items.Take(HtmlTable.MaxRows).Select(HtmlTable.Cell));
        return "[" + body + (items.Count > HtmlTable.MaxRows ? ", …" : "") + "]";
    }
}
