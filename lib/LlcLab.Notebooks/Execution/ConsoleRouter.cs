using System.Text;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Console output routing while a notebook runs. <c>Console.Out</c>/<c>Error</c> are process-wide, so
/// instead of pointing them at one cell, the executor installs a router that sends a write to the
/// running cell only when it comes from that cell's code (the cell's async flow, including tasks and
/// threads it starts: an <see cref="AsyncLocal{T}"/>); writes from anything else in the process
/// (e.g. tests running in parallel) go to the original writer.
/// </summary>
internal sealed class ConsoleRouter : TextWriter
{
    static readonly AsyncLocal<CellOutputs?> CurrentCell = new();

    readonly string streamName;
    readonly TextWriter host;

    public ConsoleRouter(string streamName, TextWriter host)
    {
        this.streamName = streamName;
        this.host = host;
        CoreNewLine = ['\n'];
    }

    /// <summary>The cell whose code is running in the current async flow (null elsewhere).</summary>
    public static CellOutputs? Cell
    {
        get => CurrentCell.Value;
        set => CurrentCell.Value = value;
    }

    public override Encoding Encoding => Encoding.UTF8;

    TextWriter Target => CurrentCell.Value?.Writer(streamName) ?? host;

    public override void Write(char value) => Target.Write(value);
    public override void Write(string? value) => Target.Write(value);
    public override void Write(char[] buffer, int index, int count) => Target.Write(buffer, index, count);
    public override void WriteLine(string? value) => Target.WriteLine(value);
    public override void WriteLine() => Target.WriteLine();
    public override void Flush() => host.Flush();
}
