namespace LlcLab.Notebooks.Display;

/// <summary>
/// What notebook code sees, imported by default (<c>using static LlcLab.Notebooks.Display.Kernel</c> and
/// <c>using LlcLab.Notebooks.Display</c>), mirroring .NET Interactive: <c>display(x)</c> and <c>x.Display()</c>
/// add a rich output to the running cell.
/// </summary>
public static class Kernel
{
    /// <summary>The cell currently running (the executor runs one notebook at a time per process).</summary>
    internal static ICellOutputSink? Current
    {
        get => CurrentFlow.Value ?? current;
        set { CurrentFlow.Value = value; current = value; }
    }

    // The running cell, for its own async flow (tasks it starts included), and process-wide as a
    // fallback for threads that do not carry the flow.
    static readonly AsyncLocal<ICellOutputSink?> CurrentFlow = new();
    static volatile ICellOutputSink? current;

    /// <summary>Shows <paramref name="value"/> as an output of the running cell (charts, tensors, tables, text).</summary>
    public static DisplayedValue display(object? value) => Show(value);

    internal static DisplayedValue Show(object? value)
    {
        var sink = Current ?? throw new InvalidOperationException("display() can only be used while a notebook cell runs.");
        return sink.Display(OutputFormatter.Format(value));
    }
}

/// <summary><c>x.Display()</c>, as in .NET Interactive.</summary>
public static class DisplayExtensions
{
    public static DisplayedValue Display(this object? value) => Kernel.Show(value);
}

/// <summary>A displayed output; <see cref="Update"/> replaces it in place (e.g. a progress line).</summary>
public sealed class DisplayedValue
{
    readonly ICellOutputSink sink;
    internal int Index { get; }

    internal DisplayedValue(ICellOutputSink sink, int index) { this.sink = sink; Index = index; }

    public void Update(object? value) => sink.Replace(Index, OutputFormatter.Format(value));
}

/// <summary>Where a cell's rich outputs go (implemented by the executor).</summary>
internal interface ICellOutputSink
{
    DisplayedValue Display(FormattedValue value);
    void Replace(int index, FormattedValue value);
}
