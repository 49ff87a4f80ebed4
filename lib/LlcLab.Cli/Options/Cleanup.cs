namespace LlcLab.Cli.Options;

/// <summary>
/// Paths a verb is about to create; unless <see cref="Commit"/> is called, disposing deletes whichever of them did not
/// exist before, so a failed or interrupted command leaves no half-made output. Register paths before creating them.
/// </summary>
public sealed class Cleanup : IDisposable
{
    readonly List<string> created = [];
    bool committed;

    /// <summary>Registers <paramref name="path"/> (file or folder) when it does not exist yet; returns it.</summary>
    public string Track(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full)) created.Add(full);
        return path;
    }

    /// <summary>Keeps everything: the command succeeded.</summary>
    public void Commit() => committed = true;

    public void Dispose()
    {
        if (committed) return;
        foreach (var p in Enumerable.Reverse(created))
        {
            try
            {
                if (Directory.Exists(p)) Directory.Delete(p, recursive: true);
                else if (File.Exists(p)) File.Delete(p);
            }
            catch (IOException) { } // best effort: never hide the original error
            catch (UnauthorizedAccessException) { }
        }
    }
}
