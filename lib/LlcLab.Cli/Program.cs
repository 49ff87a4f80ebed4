using System.CommandLine;
using System.Reflection;
using LlcLab.Cli;

// `llclab <verb>`: a thin shell over the library. Every verb lives in Commands/ as a class
// implementing IVerb; they are discovered here so adding a verb never touches this file.
var root = new RootCommand("llclab — Local Learning Coefficient and concept-erasure experiments (LlcNotebooks).");
root.Options.Add(GlobalOptions.Device);
root.Options.Add(GlobalOptions.Threads);
var verbs = typeof(IVerb).Assembly.GetTypes()
    .Where(t => typeof(IVerb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IVerb)Activator.CreateInstance(t)!)
    .OrderBy(v => v.Order);
foreach (var verb in verbs) root.Subcommands.Add(verb.Build());
return CliRunner.Run(root, args);
