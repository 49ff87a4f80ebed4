using System.Text;

// Compiled twice from this one file: into LlcLab (public, LlcLab.IO) and, linked, into LlcLab.Notebooks (internal,
// LlcLab.Notebooks.Shared), which must not depend on LlcLab (TorchSharp) — one definition of atomic writes for both.
#if LLCLAB_NOTEBOOKS
namespace LlcLab.Notebooks.Shared;
#else
namespace LlcLab.IO;
#endif

/// <summary>
/// Writes files so that readers never see a half-written file: the content goes to a temporary
/// file in the same folder, which is flushed to disk and then renamed over the target (an atomic
/// replace on the same file system). A crash or an exception mid-write leaves the previous file
/// intact and removes the temporary file. The one implementation of atomic writes in the project:
/// whole contents (<see cref="WriteAllBytes"/>, <see cref="WriteAllText"/>), streamed contents
/// (<see cref="Write(string, Action{Stream})"/>, <see cref="Open"/>) and files produced by an external
/// program (<see cref="WriteVia"/>).
/// </summary>
#if LLCLAB_NOTEBOOKS
internal
#else
public
#endif
static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) atomically; creates the folder if needed.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/> atomically; creates the folder if needed.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var w = Open(path);
        w.Stream.Write(bytes);
        w.Commit();
    }

    /// <summary>Streams content into a temporary file through <paramref name="write"/>, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        using var w = Open(path);
        write(w.Stream);
        w.Commit();
    }

    /// <summary>Lets <paramref name="produce"/> (e.g. an external program) create the file at the temporary path it is given,
    /// then renames that file over <paramref name="path"/>. Fails if <paramref name="produce"/> leaves no file there.</summary>
    public static void WriteVia(string path, Action<string> produce)
    {
        var tmp = TempPathFor(path);
        try
        {
            produce(tmp);
            if (!File.Exists(tmp)) throw new IOException($"Nothing was written to the temporary file for '{path}'.");
            using (var fs = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) fs.Flush(flushToDisk: true);
            File.Move(tmp, Path.GetFullPath(path), overwrite: true);
        }
        finally { TryDelete(tmp); }
    }

    /// <summary>A temporary file for <paramref name="path"/>, open for writing; <see cref="AtomicFileWriter.Commit"/> renames it
    /// over the target, disposing without committing deletes it.</summary>
    public static AtomicFileWriter Open(string path) => new(Path.GetFullPath(path), TempPathFor(path));

    /// <summary>A fresh temporary file name beside <paramref name="path"/> (same folder, so the final rename is atomic);
    /// creates the folder if needed.</summary>
    static string TempPathFor(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("Empty output path.", nameof(path));
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"Output path '{path}' is a folder; give a file name.", nameof(path));
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    internal static void TryDelete(string file)
    {
        try { if (File.Exists(file)) File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A file being written atomically (<see cref="AtomicFile.Open"/>): write to <see cref="Stream"/>, then
/// <see cref="Commit"/>. Until then the target is untouched; disposing without committing removes the temporary file.</summary>
#if LLCLAB_NOTEBOOKS
internal
#else
public
#endif
sealed class AtomicFileWriter : IDisposable
{
    readonly string target, tmp;
    FileStream? stream;
    bool committed;

    internal AtomicFileWriter(string target, string tmp)
    {
        this.target = target; this.tmp = tmp;
        stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
    }

    /// <summary>The temporary file's stream.</summary>
    public Stream Stream => stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter), committed ? "Already committed." : null);

    /// <summary>Flushes to disk and renames the temporary file over the target.</summary>
    public void Commit()
    {
        var s = (FileStream)Stream;
        s.Flush(flushToDisk: true);
        s.Dispose();
        stream = null;
        File.Move(tmp, target, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        stream?.Dispose();
        stream = null;
        if (!committed) AtomicFile.TryDelete(tmp);
    }
}
