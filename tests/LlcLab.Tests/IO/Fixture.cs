namespace LlcLab.Tests.IO;

internal static class Fixture
{
    public static string Path(string area, string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", area, name);

    /// <summary>A fresh temporary folder per test (deleted on dispose).</summary>
    public sealed class TempDir : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("llclab-test-").FullName;
        public string File(string name) => System.IO.Path.Combine(Root, name);
        public void Dispose() { try { Directory.Delete(Root, recursive: true); } catch (IOException) { } }
    }
}
