using System.CommandLine;

namespace LlcLab.Cli;

/// <summary>
/// Runs the parsed command. A user error (bad flag value, bad input file, unwritable output) is one line on stderr,
/// <c>error: …</c>, and exit code 2; an unexpected failure is one line and exit code 1. No stack traces unless
/// <c>LLCLAB_DEBUG=1</c>.
/// </summary>
public static class CliRunner
{
    public const string DebugVariable = "LLCLAB_DEBUG";

    public static int Run(Command root, string[] args)
    {
        try
        {
            // No built-in termination handling: long verbs handle Ctrl-C themselves (stop after a checkpoint, say how to resume).
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && !parsed.Tokens.Any(t => t.Value is "--help" or "-h" or "-?"))
            {
                // Unknown flags, missing required ones, values of the wrong type: a usage error like any other bad input.
                foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
                Console.Error.WriteLine($"See `{CommandPath(parsed)} --help`.");
                return 2;
            }
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            bool user = inner is ArgumentException or InvalidDataException or FileNotFoundException or InvalidOperationException
                or DirectoryNotFoundException or IOException or UnauthorizedAccessException or NotSupportedException or FormatException
                or System.Runtime.InteropServices.ExternalException; // libtorch rejecting an input we did not foresee
            var message = inner is System.Runtime.InteropServices.ExternalException ? "libtorch: " + inner.Message.Split('\n')[0].Trim() : inner.Message;
            Console.Error.WriteLine(user ? $"error: {message}" : $"internal error ({inner.GetType().Name}): {message}");
            if (Environment.GetEnvironmentVariable(DebugVariable) == "1") Console.Error.WriteLine(inner);
            else if (!user) Console.Error.WriteLine($"(set {DebugVariable}=1 for the stack trace; please report this)");
            return user ? 2 : 1;
        }
    }

    static string CommandPath(ParseResult r)
    {
        var names = new List<string>();
        for (var c = r.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, c.Command.Name);
        if (names.Count > 0) names[0] = CliApp.Name;
        return string.Join(" ", names);
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
