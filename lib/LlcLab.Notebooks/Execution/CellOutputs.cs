using System.Text;
using System.Text.Json.Nodes;
using LlcLab.Notebooks.Display;
using LlcLab.Notebooks.Format;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Collects one cell's outputs in order: console text (merged into <c>stream</c> outputs, flushed
/// whenever a rich output arrives so the order is kept), <c>display()</c> values and charts.
/// Thread-safe (cell code may write from worker threads).
/// </summary>
internal sealed class CellOutputs : ICellOutputSink
{
    readonly object gate = new();
    readonly List<JsonObject> outputs = [];
    readonly StringBuilder pending = new();
    string pendingName = "stdout";

    /// <summary>Charts displayed in this cell, in order.</summary>
    public List<object> Charts { get; } = [];

    TextWriter? stdout, stderr;

    /// <summary>A writer appending to the given stream (<c>stdout</c> or <c>stderr</c>) of this cell.</summary>
    public TextWriter Writer(string streamName) => streamName == "stderr"
        ? stderr ??= new StreamWriterAdapter(this, "stderr")
        : stdout ??= new StreamWriterAdapter(this, "stdout");

    void Write(string name, string text)
    {
        lock (gate)
        {
            if (pending.Length > 0 && pendingName != name) FlushNoLock();
            pendingName = name;
            pending.Append(text);
        }
    }

    void FlushNoLock()
    {
        if (pending.Length == 0) return;
        outputs.Add(NotebookOutputs.Stream(pendingName, pending.ToString()));
        pending.Clear();
    }

    public DisplayedValue Display(FormattedValue value)
    {
        lock (gate)
        {
            FlushNoLock();
            outputs.Add(NotebookOutputs.DisplayData(value.Data));
            if (value.Chart is not null) Charts.Add(value.Chart);
            return new DisplayedValue(this, outputs.Count - 1);
        }
    }

    public void Replace(int index, FormattedValue value)
    {
        lock (gate)
        {
            outputs[index] = NotebookOutputs.DisplayData(value.Data);
            if (value.Chart is not null) Charts.Add(value.Chart);
        }
    }

    public void Add(JsonObject output, object? chart = null)
    {
        lock (gate)
        {
            FlushNoLock();
            outputs.Add(output);
            if (chart is not null) Charts.Add(chart);
        }
    }

    /// <summary>The outputs so far (pending console text flushed).</summary>
    public IReadOnlyList<JsonObject> Snapshot()
    {
        lock (gate)
        {
            FlushNoLock();
            return outputs.ToList();
        }
    }

    /// <summary>All console text written to <paramref name="streamName"/> so far.</summary>
    public string StreamText(string streamName) => string.Concat(Snapshot()
        .Where(o => o["output_type"]?.GetValue<string>() == "stream" && o["name"]?.GetValue<string>() == streamName)
        .Select(o => string.Concat(((JsonArray)o["text"]!).Select(n => n!.GetValue<string>()))));

    sealed class StreamWriterAdapter : TextWriter
    {
        readonly CellOutputs owner;
        readonly string name;

        public StreamWriterAdapter(CellOutputs owner, string name)
        {
            this.owner = owner;
            this.name = name;
            CoreNewLine = ['\n'];
        }

        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => owner.Write(name, value.ToString());
        public override void Write(string? value) { if (!string.IsNullOrEmpty(value)) owner.Write(name, value); }
        public override void Write(char[] buffer, int index, int count) => owner.Write(name, new string(buffer, index, count));
        public override void WriteLine(string? value) => owner.Write(name, (value ?? "") + "\n");
        public override void WriteLine() => owner.Write(name, "\n");
    }
}
