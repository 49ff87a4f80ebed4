using System.Runtime.CompilerServices;
using LlcLab.Runtime;

namespace LlcLab.Tests;

static class TestSetup
{
    /// <summary>xunit runs test classes in parallel on 2 cores; one libtorch thread per test avoids
    /// OpenMP oversubscription (which made small-model tests 5–15× slower).</summary>
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init() => TorchRuntime.SetThreads(1);
}
