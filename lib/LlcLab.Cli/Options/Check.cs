using System.Globalization;

namespace LlcLab.Cli.Options;

/// <summary>
/// Range checks for flag values. Every message names the flag the user typed (never a C# property) and the
/// value it got, so the fix is obvious; all throw <see cref="ArgumentException"/>, which the runner turns into exit 2.
/// </summary>
public static class Check
{
    public static string Show(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    public static void Positive(string flag, double v)
    {
        if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{flag} must be a positive finite number; got {Show(v)}.");
    }

    public static void Positive(string flag, double? v) { if (v is { } x) Positive(flag, x); }

    public static void NonNegative(string flag, double v)
    {
        if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"{flag} must be ≥ 0 and finite; got {Show(v)}.");
    }

    public static void AtLeast(string flag, long v, long min)
    {
        if (v < min) throw new ArgumentException($"{flag} must be ≥ {min}; got {v}.");
    }

    public static void AtLeast(string flag, long? v, long min) { if (v is { } x) AtLeast(flag, x, min); }

    /// <summary>lo ≤ v &lt; hi when <paramref name="hiOpen"/>, else lo ≤ v ≤ hi; "(lo, hi)" when <paramref name="loOpen"/>.</summary>
    public static void InRange(string flag, double v, double lo, double hi, bool loOpen = false, bool hiOpen = false)
    {
        bool ok = (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
        if (!ok)
            throw new ArgumentException($"{flag} must be in {(loOpen ? "(" : "[")}{Show(lo)}, {Show(hi)}{(hiOpen ? ")" : "]")}; got {Show(v)}.");
    }

    /// <summary>One of <paramref name="choices"/> (case-insensitive); returns the lower-case choice.</summary>
    public static string OneOf(string flag, string value, params string[] choices)
    {
        var v = value.Trim().ToLowerInvariant();
        if (!choices.Contains(v)) throw new ArgumentException($"Unknown {flag} '{value}'. Use one of: {string.Join(", ", choices)}.");
        return v;
    }
}
