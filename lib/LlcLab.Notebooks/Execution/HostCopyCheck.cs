using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace LlcLab.Notebooks.Execution;

/// <summary>
/// Detects a <c>#r</c>'d DLL whose assembly the host process already carries from another, different
/// file (e.g. the CLI's or the test project's own LlcLab.dll): at run time the host's copy wins, so a
/// stale copy on either side shows up as TypeLoadException/MissingMethodException. The note names
/// both files and the fix.
/// </summary>
internal static class HostCopyCheck
{
    public static string? Mismatch(string referencedPath)
    {
        string name = Path.GetFileNameWithoutExtension(referencedPath);
        string? host = CarriedPackages.AssemblyPath(name);
        if (host is null || string.Equals(Path.GetFullPath(host), Path.GetFullPath(referencedPath), StringComparison.Ordinal)) return null;
        Guid? a = Mvid(host), b = Mvid(referencedPath);
        if (a is null || b is null || a == b) return null;
        return $"{Path.GetFileName(referencedPath)}: this process already has {name} from {host} (built {File.GetLastWriteTimeUtc(host):yyyy-MM-dd HH:mm} UTC), " +
               $"which differs from the referenced {referencedPath} (built {File.GetLastWriteTimeUtc(referencedPath):yyyy-MM-dd HH:mm} UTC); the process's copy is used. " +
               "If a type or member is reported missing, rebuild both: dotnet build LlcNotebooks.sln -c Release.";
    }

    static Guid? Mvid(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            using var pe = new PEReader(fs);
            if (!pe.HasMetadata) return null;
            var md = pe.GetMetadataReader();
            return md.GetGuid(md.GetModuleDefinition().Mvid);
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException) { return null; }
    }
}
