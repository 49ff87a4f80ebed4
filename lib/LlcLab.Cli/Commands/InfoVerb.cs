using System.CommandLine;
using LlcLab.Runtime;

namespace LlcLab.Cli.Commands;

/// <summary><c>llclab info</c>: versions, device, threads and the native-library fix status.</summary>
public sealed class InfoVerb : IVerb
{
    public int Order => 0;

    public Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var cmd = new Command("info", "Show versions, the compute device, threads and whether the TorchSharp native fix was applied.") { json };
        return cmd.WithAction(r =>
        {
            var info = EnvironmentInfo.Collect();
            Console.WriteLine(r.GetValue(json) ? info.ToJson() : info.ToText());
            return 0;
        });
    }
}
