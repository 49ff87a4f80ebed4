namespace LlcLab.Cli.Options;

/// <summary>Warnings and notes go to stderr, so stdout holds only results and a pipe into a file stays clean.</summary>
public static class Stderr
{
    public static void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
    public static void Note(string message) => Console.Error.WriteLine(message);
}
