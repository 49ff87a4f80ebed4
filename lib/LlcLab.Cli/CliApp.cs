using System.CommandLine;

namespace LlcLab.Cli;

/// <summary>
/// The <c>llclab</c> command tree. The root is a plain command named <c>llclab</c> (a <see cref="RootCommand"/> takes the
/// executable's file name, <c>LlcLab.Cli</c>, which is not what users type) with the help and version options added.
/// </summary>
public static class CliApp
{
    public const string Name = "llclab";

    /// <summary>A root with the global options and the given verbs.</summary>
    public static Command Root(string description, IEnumerable<Command> verbs)
    {
        var root = new Command(Name, description);
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        // The same string as `llclab info`'s first line, whichever process hosts the CLI (the default prints the entry
        // assembly's version, which in-process is the host's).
        root.Options.Add(new VersionOption { Action = new PrintVersion() });
        root.Options.Add(GlobalOptions.Device);
        root.Options.Add(GlobalOptions.Threads);
        foreach (var v in verbs) root.Subcommands.Add(v);
        return root;
    }

    /// <summary>Every verb in this assembly (classes implementing <see cref="IVerb"/>), in help order.</summary>
    public static IEnumerable<Command> Verbs() => typeof(IVerb).Assembly.GetTypes()
        .Where(t => typeof(IVerb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (IVerb)Activator.CreateInstance(t)!)
        .OrderBy(v => v.Order)
        .Select(v => v.Build());

    /// <summary>Runs <c>llclab</c> with every verb (what <c>Program</c> does; tests call it in-process).</summary>
    public static int Run(params string[] args) =>
        CliRunner.Run(Root("llclab — Local Learning Coefficient and concept-erasure experiments (LlcNotebooks).", Verbs()), args);

    sealed class PrintVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine(Commands.InfoVerb.Version);
            return 0;
        }
    }
}
