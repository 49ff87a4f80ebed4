using System.CommandLine;

namespace LlcLab.Cli;

/// <summary>Runs the parsed command; turns user errors into one clear line and exit code 2.</summary>
public static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Unwrap(e) is ArgumentException or InvalidDataException or FileNotFoundException or InvalidOperationException or DirectoryNotFoundException)
        {
            var inner = Unwrap(e);
            Console.Error.WriteLine($"error: {inner.Message}");
            return 2;
        }
    }

    static Exception Unwrap(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException or TypeInitializationException && e.InnerException is not null)
            e = e.InnerException!;
        return e;
    }

    /// <summary>Helper for verbs: set an action that applies global options first.</summary>
    public static Command WithAction(this Command command, Func<ParseResult, int> action)
    {
        command.SetAction(result =>
        {
            GlobalOptions.Apply(result);
            return action(result);
        });
        return command;
    }
}
