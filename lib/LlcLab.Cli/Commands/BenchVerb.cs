using System.CommandLine;

namespace LlcLab.Cli.Commands;

/// <summary>A benchmark under <c>llclab bench</c> (e.g. <c>bench llc</c>, <c>bench erase</c>); discovered by reflection.</summary>
public interface IBenchmark
{
    Command Build();
}

/// <summary><c>llclab bench &lt;name&gt;</c>: speed measured, reported as ratios within one run.</summary>
public sealed class BenchVerb : IVerb
{
    public int Order => 80;

    public Command Build()
    {
        var cmd = new Command("bench", "Benchmarks: report speed ratios measured in one run.");
        foreach (var t in typeof(IBenchmark).Assembly.GetTypes().Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
            cmd.Subcommands.Add(((IBenchmark)Activator.CreateInstance(t)!).Build());
        return cmd;
    }
}
