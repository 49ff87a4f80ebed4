using System.Security.Cryptography;
using System.Text;

namespace LlcLab.Sweeps;

/// <summary>
/// The identity of a cell: the first 20 hex digits (80 bits) of SHA-256 over
/// <c>"llclab-cell/1\n" + protocol + "\n" + code version + "\n" + canonical input JSON</c>. Everything that determines a
/// cell's result is in one of the three (the input record carries the seed and every setting; the code version carries
/// the algorithm), so equal ids mean equal results and any changed input gives a new id — a shard is never reused for
/// different inputs. Where a cell runs (host, device, threads) is recorded in the shard's metadata, not hashed.
/// </summary>
public static class CellId
{
    /// <summary>Hex digits kept (80 bits: collisions are negligible for any realistic grid).</summary>
    public const int Length = 20;

    /// <summary>The id of a cell of <paramref name="protocol"/> with canonical input <paramref name="canonicalInput"/>.</summary>
    public static string Compute(string protocol, string canonicalInput, string codeVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(protocol);
        ArgumentException.ThrowIfNullOrWhiteSpace(codeVersion);
        var text = $"llclab-cell/1\n{protocol}\n{codeVersion}\n{canonicalInput}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..Length];
    }

    /// <summary>Whether <paramref name="s"/> looks like a cell id (for parsing flags and file names).</summary>
    public static bool IsWellFormed(string s) => s.Length == Length && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
