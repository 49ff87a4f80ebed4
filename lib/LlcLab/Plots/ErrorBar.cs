using System.Globalization;
using LlcLab.Analysis;

namespace LlcLab.Plots;

/// <summary>What an error bar shows.</summary>
public enum ErrorBar
{
    /// <summary>± the sample standard deviation across repeats (seeds or chains): the spread of one estimate.</summary>
    Std,
    /// <summary>The Student-t confidence interval of the mean, mean ± t_{(1+level)/2, n−1}·s/√n (<see cref="Stats.Summarize"/>):
    /// what a claim about the mean rests on. No bar when n = 1.</summary>
    Ci,
}

/// <summary>Error half-widths and the note that says what they are.</summary>
public static class ErrorBars
{
    /// <summary>The half-width drawn for <paramref name="s"/>: its std, or its CI half-width (0 when n = 1: no interval).</summary>
    public static double HalfWidthOf(this Summary s, ErrorBar kind)
    {
        ArgumentNullException.ThrowIfNull(s);
        return kind == ErrorBar.Ci ? (s.N > 1 && double.IsFinite(s.HalfWidth) ? s.HalfWidth : 0) : (double.IsFinite(s.Std) ? s.Std : 0);
    }

    /// <summary>"error bars: 95% t-interval of the mean over seeds" or "error bars: ± std over seeds".</summary>
    public static string Note(ErrorBar kind, string over = "seeds", double level = 0.95) => kind == ErrorBar.Ci
        ? string.Create(CultureInfo.InvariantCulture, $"error bars: {level:P0} t-interval of the mean over {over}")
        : $"error bars: ± std over {over}";
}
