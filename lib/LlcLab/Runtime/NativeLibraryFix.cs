using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text;

namespace LlcLab.Runtime;

/// <summary>What <see cref="NativeLibraryFix"/> found and did in this process.</summary>
/// <param name="Needed">The system libstdc++ lacks a version TorchSharp's native library asks for.</param>
/// <param name="Applied">A patched copy is what TorchSharp loads in this process.</param>
/// <param name="MissingVersions">Required versions the system libstdc++ does not provide.</param>
/// <param name="OriginalPath">The shipped <c>libLibTorchSharp.so</c>.</param>
/// <param name="LoadedPath">The file handed to TorchSharp (the patched copy when applied).</param>
/// <param name="LibStdCxxPath">The libstdc++ this process uses.</param>
/// <param name="Message">One human-readable line.</param>
public sealed record NativeFixStatus(
    bool Needed, bool Applied, IReadOnlyList<string> MissingVersions,
    string? OriginalPath, string? LoadedPath, string? LibStdCxxPath, string Message);

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ is older than the one
/// it was built against (Debian 12 and Ubuntu 22.04 ship GLIBCXX_3.4.30; TorchSharp 0.107 asks
/// for 3.4.32, but only for <c>std::ios_base_library_init()</c>, which nothing calls).
///
/// What it does, once per process, before TorchSharp loads its backend:
/// <list type="number">
/// <item>finds <c>libLibTorchSharp.so</c> in the build output (beside TorchSharp.dll or under
///   <c>runtimes/linux-x64/native</c>) and the libstdc++ this process runs with;</item>
/// <item>if every required GLIBCXX/CXXABI version is present, leaves everything alone;</item>
/// <item>otherwise writes a copy, <c>libLibTorchSharp.glibcxx-weak.so</c>, next to the original
///   (so its <c>$ORIGIN</c> run-path still finds libtorch) in which only the missing
///   requirements that are known to be unused are flagged <c>VER_FLG_WEAK</c>
///   (<see cref="ElfVersionPatch"/>); if that folder is read-only, into a per-user cache folder
///   with libtorch's libraries preloaded from the original folder;</item>
/// <item>routes TorchSharp's loads of <c>LibTorchSharp</c> to that copy (a DllImport resolver for
///   its P/Invokes and the load context's <c>ResolvingUnmanagedDll</c> event for its own
///   <c>NativeLibrary.TryLoad</c>).</item>
/// </list>
/// System files and the NuGet cache are never modified.
/// </summary>
public static class NativeLibraryFix
{
    /// <summary>The versions that may be weakened: the only symbol behind them is never called.</summary>
    public static readonly IReadOnlySet<string> SafeToWeaken = new HashSet<string> { "GLIBCXX_3.4.32" };

    /// <summary>File name of the patched copy, beside the original.</summary>
    public const string PatchedFileName = "libLibTorchSharp.glibcxx-weak.so";
    const string OriginalFileName = "libLibTorchSharp.so";

    static readonly object Gate = new();
    static NativeFixStatus? status;
    static IntPtr handle;
    static string? nativeDir;
    static bool createdCopy;

    /// <summary>Applies the fix if needed (idempotent) and returns what was done.</summary>
    public static NativeFixStatus EnsureInstalled()
    {
        lock (Gate)
        {
            if (status is not null) return status;
            status = Install();
            // Logged once: when the patched copy is first written (later processes reuse it silently;
            // `llclab info` always reports the status).
            if (status.Applied && createdCopy && Environment.GetEnvironmentVariable("LLCLAB_QUIET") != "1")
                Console.Error.WriteLine($"[llclab] {status.Message}");
            return status;
        }
    }

    /// <summary>The status if <see cref="EnsureInstalled"/> already ran, else runs it.</summary>
    public static NativeFixStatus Status => EnsureInstalled();

    static NativeFixStatus Install()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            return new(false, false, [], null, null, null, "Not Linux: no native fix needed.");

        var torchAsm = typeof(TorchSharp.torch).Assembly;
        string? original = FindOriginal(torchAsm);
        if (original is null)
            return new(false, false, [], null, null, null,
                "libLibTorchSharp.so was not found beside TorchSharp.dll; TorchSharp loads it by its own rules.");
        nativeDir = Path.GetDirectoryName(original)!;

        string? libstdcxx = FindLibStdCxx();
        byte[] bytes = File.ReadAllBytes(original);
        var needs = ElfVersionPatch.ReadVersionNeeds(bytes).Where(n => n.File == "libstdc++.so.6").ToList();
        var missing = libstdcxx is null
            ? new List<string>()
            : MissingVersions(needs.Select(n => n.Version), File.ReadAllBytes(libstdcxx));

        if (missing.Count == 0)
        {
            // Nothing to patch; still help TorchSharp find the library when the host's probing
            // does not look under runtimes/<rid>/native (e.g. a notebook that #r's LlcLab.dll).
            Register(torchAsm, original);
            return new(false, false, [], original, original, libstdcxx,
                $"libstdc++ ({libstdcxx ?? "not located"}) provides every version TorchSharp needs: native library used as shipped.");
        }

        var unsafeMissing = missing.Where(v => !SafeToWeaken.Contains(v)).ToList();
        if (unsafeMissing.Count > 0)
            throw new InvalidOperationException(
                $"TorchSharp's native library needs {string.Join(", ", unsafeMissing)} from libstdc++, which {libstdcxx} does not provide, " +
                "and those are not known to be safe to weaken. Install a newer libstdc++ (e.g. a newer g++ runtime package) or use a newer OS image.");

        byte[] patched = ElfVersionPatch.MarkWeak(bytes, "libstdc++.so.6", missing);
        string target = Path.Combine(nativeDir, PatchedFileName);
        bool preloadDeps = false;
        if (!TryWrite(target, patched))
        {
            string cache = Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "llclab", "native", $"{bytes.Length:x}-{Fnv1a(bytes):x16}");
            Directory.CreateDirectory(cache);
            target = Path.Combine(cache, PatchedFileName);
            if (!TryWrite(target, patched))
                throw new InvalidOperationException(
                    $"Cannot write a patched copy of {original} next to it or to {cache}. Make one of them writable, or set XDG_CACHE_HOME to a writable folder.");
            preloadDeps = true;
        }

        if (preloadDeps)
        {
            // Outside $ORIGIN the copy's DT_NEEDED entries must already be loaded (matched by soname).
            foreach (var dep in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            {
                string p = Path.Combine(nativeDir, dep);
                if (File.Exists(p)) NativeLibrary.Load(p);
            }
        }
        Register(torchAsm, target);
        return new(true, true, missing, original, target, libstdcxx,
            $"{libstdcxx} lacks {string.Join(", ", missing)}; loading TorchSharp's native library from a copy with that requirement marked weak: {target}");
    }

    /// <summary>Writes atomically unless an identical file is already there. False if the folder is not writable.</summary>
    static bool TryWrite(string path, byte[] content)
    {
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
                return true;
            createdCopy = true;
            IO.AtomicFile.WriteAllBytes(path, content);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    static void Register(Assembly torchAsm, string path)
    {
        handle = NativeLibrary.Load(path);
        try
        {
            NativeLibrary.SetDllImportResolver(torchAsm, (name, _, _) => Resolve(name));
        }
        catch (InvalidOperationException)
        {
            // Someone already set a resolver for TorchSharp; the load-context event below still applies.
        }
        var alc = AssemblyLoadContext.GetLoadContext(torchAsm) ?? AssemblyLoadContext.Default;
        alc.ResolvingUnmanagedDll += (_, name) => Resolve(name);
    }

    static IntPtr Resolve(string name)
    {
        if (name is "LibTorchSharp" or OriginalFileName) return handle;
        if (nativeDir is null) return IntPtr.Zero;
        // TorchSharp also preloads torch_cpu (and torch_cuda) by name.
        string candidate = Path.Combine(nativeDir, name.StartsWith("lib") ? name : $"lib{name}.so");
        return File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var h) ? h : IntPtr.Zero;
    }

    /// <summary>Where TorchSharp's native library sits in a build output.</summary>
    internal static string? FindOriginal(Assembly torchAsm)
    {
        var roots = new[] { Path.GetDirectoryName(torchAsm.Location), Path.GetDirectoryName(typeof(NativeLibraryFix).Assembly.Location), AppContext.BaseDirectory }
            .Where(d => !string.IsNullOrEmpty(d)).Distinct();
        foreach (var root in roots)
        {
            foreach (var dir in new[] { root!, Path.Combine(root!, "runtimes", "linux-x64", "native") })
            {
                string p = Path.Combine(dir, OriginalFileName);
                if (File.Exists(p)) return p;
            }
        }
        return null;
    }

    /// <summary>The libstdc++.so.6 mapped into this process (the .NET runtime links it), else the usual places.</summary>
    internal static string? FindLibStdCxx()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int i = line.IndexOf('/');
                if (i >= 0 && line.Contains("libstdc++.so.6")) return line[i..].Trim();
            }
        }
        catch (IOException) { }
        foreach (var dir in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib/aarch64-linux-gnu" })
        {
            string p = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Required versions whose name (NUL-terminated) does not occur in the library's bytes.</summary>
    internal static List<string> MissingVersions(IEnumerable<string> required, byte[] library)
    {
        var missing = new List<string>();
        foreach (var v in required.Distinct())
        {
            var needle = Encoding.ASCII.GetBytes(v + "\0");
            if (library.AsSpan().IndexOf(needle) < 0) missing.Add(v);
        }
        return missing;
    }

    static ulong Fnv1a(byte[] data)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in data) { h ^= b; h *= 1099511628211UL; }
        return h;
    }
}
