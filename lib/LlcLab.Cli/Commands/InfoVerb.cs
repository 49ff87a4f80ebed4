using System.CommandLine;
using System.Reflection;
using LlcLab.Runtime;

namespace LlcLab.Cli.Commands;

/// <summary><c>llclab info</c>: versions, device, threads and the native-library fix status. Its first line is the same
/// version string that <c>llclab --version</c> prints.</summary>
public sealed class InfoVerb : IVerb
{
    public int Order => 0;

    /// <summary>The CLI's informational version (what <c>--version</c> prints): the project version plus the commit.</summary>
    public static string Version =>
        typeof(InfoVerb).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";

    public Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var cmd = new Command("info", "Show versions, the compute device, threads and whether the TorchSharp native fix was applied.") { json };
        return cmd.WithAction(r =>
        {
            var info = EnvironmentInfo.Collect();
            if (r.GetValue(json))
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(info.ToJson())!.AsObject();
                node.Insert(0, "llclab", Version);
                Console.WriteLine(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            else Console.WriteLine($"llclab        {Version}\n{info.ToText()}");
            return 0;
        });
    }
}
