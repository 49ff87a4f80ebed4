using System.CommandLine;

namespace LlcLab.Cli;

/// <summary>One top-level verb of the CLI (info, estimate, erase, train, unlearn, notebooks, bench, reproduce).</summary>
public interface IVerb
{
    /// <summary>Position in <c>--help</c>.</summary>
    int Order => 100;
    Command Build();
}
