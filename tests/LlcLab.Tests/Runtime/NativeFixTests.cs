using LlcLab.Runtime;
using Xunit;

namespace LlcLab.Tests.Runtime;

public class NativeFixTests
{
    static byte[] Original()
    {
        var status = TorchRuntime.Initialize();
        Assert.NotNull(status.OriginalPath);
        return File.ReadAllBytes(status.OriginalPath!);
    }

    [Fact]
    public void Shipped_library_requires_glibcxx_3_4_32_strongly()
    {
        var needs = ElfVersionPatch.ReadVersionNeeds(Original());
        var need = Assert.Single(needs, n => n.File == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32");
        Assert.False(need.IsWeak);
        Assert.Contains(needs, n => n.File == "libc.so.6");
    }

    [Fact]
    public void Patch_differs_from_original_only_in_that_flag()
    {
        var original = Original();
        var patched = ElfVersionPatch.MarkWeak(original, "libstdc++.so.6", ["GLIBCXX_3.4.32"]);
        Assert.Equal(original.Length, patched.Length);
        var diffs = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.NotEmpty(diffs);
        var need = ElfVersionPatch.ReadVersionNeeds(original).Single(n => n.Version == "GLIBCXX_3.4.32");
        // Only the two bytes of that Vernaux entry's vna_flags change, and only by VER_FLG_WEAK.
        Assert.All(diffs, i => Assert.InRange(i, need.FlagsOffset, need.FlagsOffset + 1));
        var after = ElfVersionPatch.ReadVersionNeeds(patched);
        foreach (var (a, b) in ElfVersionPatch.ReadVersionNeeds(original).Zip(after))
        {
            Assert.Equal(a.Version, b.Version);
            Assert.Equal(a.Version == "GLIBCXX_3.4.32" ? (ushort)(a.Flags | ElfVersionPatch.VerFlagWeak) : a.Flags, b.Flags);
        }
    }

    [Fact]
    public void Patch_is_idempotent()
    {
        var once = ElfVersionPatch.MarkWeak(Original(), "libstdc++.so.6", ["GLIBCXX_3.4.32"]);
        var twice = ElfVersionPatch.MarkWeak(once, "libstdc++.so.6", ["GLIBCXX_3.4.32"]);
        Assert.Equal(once, twice);
    }

    [Fact]
    public void Asking_for_a_version_the_library_does_not_need_is_an_error()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MarkWeak(Original(), "libstdc++.so.6", ["GLIBCXX_9.9.9"]));
        Assert.Contains("GLIBCXX_9.9.9", e.Message);
    }

    [Fact]
    public void Not_an_elf_file_is_a_clear_error()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.ReadVersionNeeds(new byte[100]));
    }

    [Fact]
    public void Detection_matches_the_system_libstdcxx()
    {
        var status = TorchRuntime.Initialize();
        Assert.NotNull(status.LibStdCxxPath);
        var lib = File.ReadAllBytes(status.LibStdCxxPath!);
        bool has32 = NativeLibraryFix.MissingVersions(["GLIBCXX_3.4.32"], lib).Count == 0;
        // A modern libstdc++ is left alone; an old one gets the patched copy.
        Assert.Equal(!has32, status.Needed);
        Assert.Equal(!has32, status.Applied);
        if (status.Applied)
        {
            Assert.EndsWith(NativeLibraryFix.PatchedFileName, status.LoadedPath);
            var loaded = File.ReadAllBytes(status.LoadedPath!);
            Assert.True(ElfVersionPatch.ReadVersionNeeds(loaded).Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        }
        // Fake libraries: one with and one without the version string.
        Assert.Empty(NativeLibraryFix.MissingVersions(["GLIBCXX_3.4.32"], "xxGLIBCXX_3.4.32\0yy"u8.ToArray()));
        Assert.Equal(["GLIBCXX_3.4.32"], NativeLibraryFix.MissingVersions(["GLIBCXX_3.4.32"], "GLIBCXX_3.4.30\0GLIBCXX_3.4.3\0"u8.ToArray()));
    }
}
