namespace LlcLab.Cli.Options;

/// <summary>
/// Checks, before any work, that an output path can be written: the nearest existing ancestor must be a folder we can
/// create files in, no component of the path may be a regular file, and a file output may not be an existing folder.
/// Nothing is created by the check, so a later failure leaves no empty folders behind.
/// </summary>
public static class OutputPath
{
    /// <summary>A file that will be written (atomically) at the end.</summary>
    public static string File(string flag, string path)
    {
        var full = Full(flag, path);
        if (Directory.Exists(full)) throw new ArgumentException($"{flag} {path} is an existing folder; give a file name, e.g. {Path.Combine(path, "result.json")}.");
        CheckAncestors(flag, path, Path.GetDirectoryName(full)!);
        return full;
    }

    /// <summary>A folder that will be created (or, for resumable runs, reused).</summary>
    public static string Folder(string flag, string path)
    {
        var full = Full(flag, path);
        if (System.IO.File.Exists(full)) throw new ArgumentException($"{flag} {path} is an existing file, not a folder; give a new folder name.");
        CheckAncestors(flag, path, Directory.Exists(full) ? full : Path.GetDirectoryName(full)!);
        return full;
    }

    static string Full(string flag, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{flag} is empty; give a path.");
        try { return Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{flag} '{path}' is not a valid path: {e.Message}");
        }
    }

    static void CheckAncestors(string flag, string path, string dir)
    {
        var d = dir;
        while (!Directory.Exists(d))
        {
            if (System.IO.File.Exists(d))
                throw new ArgumentException($"{flag} {path} cannot be written: '{d}' is a regular file, not a folder. Choose another path.");
            d = Path.GetDirectoryName(d);
            if (d is null) throw new ArgumentException($"{flag} {path} cannot be written: no existing folder above it.");
        }
        // A probe file is the only portable test of write permission; it is removed at once.
        var probe = Path.Combine(d, $".llclab-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try { using (System.IO.File.Create(probe, 1, FileOptions.DeleteOnClose)) { } }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{flag} {path} cannot be written: no permission to create files in '{d}'.");
        }
    }
}
