using System.CommandLine;

namespace LlcLab.Cli.Options;

/// <summary>
/// Ctrl-C for long, resumable commands: the first press asks the command to stop after the checkpoint in progress (so
/// nothing half-written is left) and the command then prints how to resume; a second press ends the process at once.
/// </summary>
public sealed class Interrupt : IDisposable
{
    readonly CancellationTokenSource cts = new();
    int presses;

    public Interrupt() => Console.CancelKeyPress += OnCancel;

    public CancellationToken Token => cts.Token;

    /// <summary>Asks the command to stop, as the first Ctrl-C does.</summary>
    public void Request() => cts.Cancel();

    void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref presses) > 1) return; // second press: let the process end
        e.Cancel = true;
        Stderr.Note("interrupt: stopping after the current checkpoint (press Ctrl-C again to stop at once) …");
        cts.Cancel();
    }

    /// <summary>The command line that was run, to repeat for resuming.</summary>
    public static string CommandLine(ParseResult r) => "llclab " + string.Join(" ", r.Tokens.Select(t => Quote(t.Value)));

    static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_.:/=,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        cts.Dispose();
    }
}
