using System.Text;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Turns the kernel's events for one cell into nbformat outputs, as VS Code does: displayed values
/// (updated in place by <see cref="DisplayedValueUpdated"/> with the same value id), the returned
/// value, standard output and error as streams (consecutive writes merged), and the failure.
/// </summary>
internal sealed class CellOutputs
{
    readonly List<object> items = []; // DisplayItem, ReturnItem or StreamItem, in arrival order
    readonly object gate = new();

    sealed record DisplayItem(string? ValueId, IReadOnlyCollection<FormattedValue> Values);
    sealed record ReturnItem(IReadOnlyCollection<FormattedValue> Values);
    sealed class StreamItem(string name) { public string Name = name; public StringBuilder Text = new(); }

    public void Add(KernelEvent e)
    {
        lock (gate)
        {
            switch (e)
            {
                case DisplayedValueUpdated u:
                    int at = items.FindIndex(i => i is DisplayItem d && d.ValueId is not null && d.ValueId == u.ValueId);
                    if (at >= 0) items[at] = new DisplayItem(u.ValueId, u.FormattedValues);
                    else items.Add(new DisplayItem(u.ValueId, u.FormattedValues));
                    break;
                case ReturnValueProduced r:
                    items.Add(new ReturnItem(r.FormattedValues));
                    break;
                case StandardOutputValueProduced so:
                    Append("stdout", so.FormattedValues);
                    break;
                case StandardErrorValueProduced se:
                    Append("stderr", se.FormattedValues);
                    break;
                case DisplayedValueProduced d:
                    items.Add(new DisplayItem(d.ValueId, d.FormattedValues));
                    break;
            }
        }
    }

    void Append(string name, IReadOnlyCollection<FormattedValue> values)
    {
        string text = values.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? values.FirstOrDefault()?.Value ?? "";
        if (items.Count > 0 && items[^1] is StreamItem s && s.Name == name) { s.Text.Append(text); return; }
        var n = new StreamItem(name);
        n.Text.Append(text);
        items.Add(n);
    }

    /// <summary>The outputs, in order, then the error when the cell failed.</summary>
    public IEnumerable<InteractiveDocumentOutputElement> Elements(int executionCount, CellFailure? failure)
    {
        List<object> snapshot;
        lock (gate) snapshot = [.. items];
        foreach (var item in snapshot)
        {
            switch (item)
            {
                case DisplayItem d:
                    yield return new DisplayElement(Data(d.Values));
                    break;
                case ReturnItem r:
                    var rv = new ReturnValueElement { ExecutionOrder = executionCount };
                    foreach (var (k, v) in Data(r.Values)) rv.Data[k] = v;
                    yield return rv;
                    break;
                case StreamItem s:
                    yield return new TextElement(s.Text.ToString(), s.Name);
                    break;
            }
        }
        if (failure is not null)
            yield return new ErrorElement(failure.ExceptionType, failure.IsCompileError ? string.Join("\n", failure.Diagnostics) : failure.Message,
                (failure.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    static Dictionary<string, object> Data(IReadOnlyCollection<FormattedValue> values)
    {
        var d = new Dictionary<string, object>();
        foreach (var v in values.Where(v => !v.SuppressDisplay)) d[v.MimeType] = v.Value;
        return d;
    }
}
