using System.Text;

namespace LlcLab.Runtime;

/// <summary>
/// Marks symbol-version requirements of an ELF64 shared library as weak.
///
/// An ELF object lists, in its <c>.gnu.version_r</c> section, the symbol versions it needs from
/// each shared library (Verneed entries, each followed by Vernaux entries, one per version).
/// The dynamic loader refuses to load the object when a required version is missing, unless
/// that Vernaux entry carries <c>VER_FLG_WEAK</c> (0x2), in which case it only warns if a symbol
/// bound to that version is actually used. TorchSharp 0.107's <c>libLibTorchSharp.so</c> needs
/// <c>GLIBCXX_3.4.32</c> only for <c>std::ios_base_library_init()</c>, which is never called,
/// so flagging that single requirement weak lets it load on libstdc++ 3.4.30 (Debian 12,
/// Ubuntu 22.04). Nothing else in the file changes: the patch flips bits in two bytes.
/// </summary>
public static class ElfVersionPatch
{
    /// <summary>VER_FLG_WEAK from elf.h.</summary>
    public const ushort VerFlagWeak = 0x2;
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>One version requirement found in <c>.gnu.version_r</c>.</summary>
    public sealed record VersionNeed(string File, string Version, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    /// <summary>Lists every (library, version) requirement of an ELF64 little-endian object.</summary>
    public static IReadOnlyList<VersionNeed> ReadVersionNeeds(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF objects are supported.");

        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        var result = new List<VersionNeed>();
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)sh + 4);
            if (type != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28);
            uint info = BitConverter.ToUInt32(elf, (int)sh + 0x2C); // number of Verneed entries
            long strSh = shoff + (long)link * shentsize;
            long strOff = (long)BitConverter.ToUInt64(elf, (int)strSh + 0x18);

            long vn = offset;
            for (uint n = 0; n < info; n++)
            {
                ushort cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
                uint file = BitConverter.ToUInt32(elf, (int)vn + 4);
                uint aux = BitConverter.ToUInt32(elf, (int)vn + 8);
                uint next = BitConverter.ToUInt32(elf, (int)vn + 12);
                string fileName = ReadCString(elf, strOff + file);
                long va = vn + aux;
                for (int a = 0; a < cnt; a++)
                {
                    ushort flags = BitConverter.ToUInt16(elf, (int)va + 4);
                    uint name = BitConverter.ToUInt32(elf, (int)va + 8);
                    uint vnext = BitConverter.ToUInt32(elf, (int)va + 12);
                    result.Add(new VersionNeed(fileName, ReadCString(elf, strOff + name), flags, va + 4));
                    if (vnext == 0) break;
                    va += vnext;
                }
                if (next == 0) break;
                vn += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Returns a copy of <paramref name="elf"/> in which the listed versions required from
    /// <paramref name="library"/> are weak. Idempotent: patching a patched file changes nothing.
    /// </summary>
    public static byte[] MarkWeak(byte[] elf, string library, IEnumerable<string> versions)
    {
        var wanted = new HashSet<string>(versions, StringComparer.Ordinal);
        var copy = (byte[])elf.Clone();
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var need in ReadVersionNeeds(elf))
        {
            if (need.File != library || !wanted.Contains(need.Version)) continue;
            found.Add(need.Version);
            ushort flags = (ushort)(need.Flags | VerFlagWeak);
            BitConverter.TryWriteBytes(copy.AsSpan((int)need.FlagsOffset, 2), flags);
        }
        var missing = wanted.Except(found).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"The ELF object does not require {string.Join(", ", missing)} from {library}; nothing to mark weak.");
        return copy;
    }

    static string ReadCString(byte[] data, long offset)
    {
        int end = (int)offset;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)offset, end - (int)offset);
    }
}
