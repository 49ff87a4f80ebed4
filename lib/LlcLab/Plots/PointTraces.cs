using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// The one way the suite draws estimates: a series' valid points in its own colour (markers, or a line with markers that
/// breaks where a point failed validity), its invalid points as grey open markers in a shared "failed validity" legend
/// entry, error bars on both, and the point label, x, y and error half-width in the hover text. Labels are printed
/// beside the markers only when the caller says the chart is sparse enough (see <see cref="ChartStyle.MaxPrintedLabels"/>).
/// Traces are plain plotly.js attribute objects, so every attribute used here is visible in the figure JSON.
/// </summary>
internal static class PointTraces
{
    /// <summary>How a chart draws its series.</summary>
    /// <param name="Lines">Connect valid points with a line (gaps at invalid points).</param>
    /// <param name="PrintLabels">Print point labels beside the markers (otherwise they are only in the hover text).</param>
    /// <param name="XTitle">x quantity named in the hover text.</param>
    /// <param name="YTitle">y quantity named in the hover text.</param>
    internal sealed record Style(bool Lines, bool PrintLabels, string XTitle, string YTitle);

    /// <summary>Tracks whether the shared "failed validity" legend entry has been drawn yet.</summary>
    internal sealed class InvalidLegend
    {
        internal bool Shown { get; set; }
    }

    /// <summary>Whether a chart with these many labelled points may print them (few enough not to overlap).</summary>
    internal static bool Sparse(int labelledPoints) => labelledPoints > 0 && labelledPoints <= ChartStyle.MaxPrintedLabels;

    /// <summary>
    /// Whether labels at these points may be printed: few enough (<see cref="Sparse(int)"/>) and no two closer than
    /// <see cref="ChartStyle.MinLabelSeparation"/> of the plot in axis-normalised coordinates (x and y each scaled to [0, 1],
    /// log-scaled first when <paramref name="logX"/>), where printed labels would overlap.
    /// </summary>
    internal static bool Sparse(IReadOnlyList<(double X, double Y)> points, bool logX)
    {
        if (!Sparse(points.Count)) return false;
        var p = points.Where(q => double.IsFinite(q.X) && double.IsFinite(q.Y) && (!logX || q.X > 0))
            .Select(q => (X: logX ? Math.Log10(q.X) : q.X, q.Y)).ToArray();
        if (p.Length < 2) return true;
        double Range(IEnumerable<double> v) { var a = v.ToArray(); var r = a.Max() - a.Min(); return r > 0 ? r : 1; }
        double rx = Range(p.Select(q => q.X)), ry = Range(p.Select(q => q.Y));
        for (int i = 0; i < p.Length; i++)
            for (int j = i + 1; j < p.Length; j++)
                if (Math.Abs(p[i].X - p[j].X) / rx < ChartStyle.MinLabelSeparation && Math.Abs(p[i].Y - p[j].Y) / ry < ChartStyle.MinLabelSeparation)
                    return false;
        return true;
    }

    /// <summary>The traces of one series (one for its valid points, one for its invalid points if any).</summary>
    internal static IEnumerable<GenericChart> Draw(string name, IReadOnlyList<object> x, IReadOnlyList<double> y, IReadOnlyList<double>? error,
        IReadOnlyList<string>? labels, IReadOnlyList<bool>? valid, string color, Style style, InvalidLegend legend)
    {
        int n = y.Count;
        bool Ok(int i) => valid is null || valid[i];
        var validIdx = Enumerable.Range(0, n).Where(Ok).ToArray();
        var invalidIdx = Enumerable.Range(0, n).Where(i => !Ok(i)).ToArray();
        bool categorical = x.Count > 0 && x[0] is string;
        string hover = Hover(style, labels is not null, error is not null, categorical);

        // Valid points; on a line, invalid positions stay in the arrays as gaps (null y) so the line breaks there.
        var shown = style.Lines ? Enumerable.Range(0, n).ToArray() : validIdx;
        if (shown.Length > 0 && validIdx.Length > 0)
        {
            var t = Trace(name, name, shown.Select(i => x[i]), shown.Select(i => Ok(i) ? (object?)Finite(y[i]) : null), hover + $"<extra>{Escape(name)}</extra>",
                style.Lines ? "lines+markers" : "markers", style.PrintLabels && labels is not null);
            t.SetProperty("marker", ChartStyle.Obj(("color", color), ("size", 8), ("symbol", "circle")));
            if (style.Lines) t.SetProperty("line", ChartStyle.Obj(("color", color), ("width", 2)));
            Decorate(t, shown, error, labels, color, i => Ok(i));
            yield return GenericChart.ofTraceObject(true, t);
        }
        if (invalidIdx.Length > 0)
        {
            var t = Trace("failed validity", ChartStyle.InvalidLegendGroup, invalidIdx.Select(i => x[i]), invalidIdx.Select(i => (object?)Finite(y[i])),
                $"{Escape(name)}: failed validity<br>" + hover + "<extra></extra>", "markers", style.PrintLabels && labels is not null);
            t.SetProperty("marker", ChartStyle.Obj(("color", ChartStyle.InvalidColor), ("size", 9), ("symbol", "circle-open"),
                ("line", ChartStyle.Obj(("color", ChartStyle.InvalidColor), ("width", 2)))));
            t.SetProperty("showlegend", !legend.Shown);
            t.SetProperty("legendrank", 2000);   // after the series entries (default rank 1000)
            legend.Shown = true;
            Decorate(t, invalidIdx, error, labels, ChartStyle.InvalidColor, _ => true);
            yield return GenericChart.ofTraceObject(true, t);
        }
    }

    /// <summary>A bar trace over categories; bars that failed validity are drawn as open grey outlines.</summary>
    internal static GenericChart Bars(BarSeries s, string color, string yTitle)
    {
        var t = new Trace2D("bar");
        t.SetProperty("name", s.Name);
        t.SetProperty("x", s.Categories.ToArray());
        // A bar without a value (e.g. no seed passed validity) is drawn at 0 with a printed "n/a", so its absence is visible.
        t.SetProperty("y", s.Values.Select(v => double.IsFinite(v) ? v : 0).ToArray());
        bool Ok(int i) => s.Valid is null || s.Valid[i];
        var idx = Enumerable.Range(0, s.Values.Count).ToArray();
        t.SetProperty("marker", ChartStyle.Obj(
            ("color", idx.Select(i => Ok(i) ? color : "rgba(0,0,0,0)").ToArray()),
            ("line", ChartStyle.Obj(("color", idx.Select(i => Ok(i) ? color : ChartStyle.InvalidColor).ToArray()),
                ("width", idx.Select(i => Ok(i) ? 0.0 : 2.0).ToArray())))));
        t.SetProperty("text", idx.Select(i => double.IsFinite(s.Values[i]) ? "" : "n/a").ToArray());
        t.SetProperty("textposition", "outside");
        t.SetProperty("cliponaxis", false);
        var err = s.Error?.Select(Finite0).ToArray() ?? new double[s.Values.Count];
        t.SetProperty("customdata", idx.Select(i => new object[] { err[i], Ok(i) ? "" : "<br>failed validity" }).ToArray());
        string e = s.Error is null ? "" : " ± %{customdata[0]:.3~g}";
        t.SetProperty("hovertemplate", $"%{{x}}<br>{Escape(yTitle)} = %{{y:.4~g}}{e}%{{customdata[1]}}<extra>{Escape(s.Name)}</extra>");
        if (s.Error is not null) t.SetProperty("error_y", ErrorBars(err, "#333"));
        return GenericChart.ofTraceObject(true, t);
    }

    private static Trace2D Trace(string name, string group, IEnumerable<object> x, IEnumerable<object?> y, string hover, string mode, bool printLabels)
    {
        var t = new Trace2D("scatter");
        t.SetProperty("name", name);
        t.SetProperty("legendgroup", group);
        t.SetProperty("x", x.ToArray());
        t.SetProperty("y", y.ToArray());
        t.SetProperty("mode", printLabels ? mode + "+text" : mode);
        t.SetProperty("hovertemplate", hover);
        return t;
    }

    private static void Decorate(Trace2D t, int[] idx, IReadOnlyList<double>? error, IReadOnlyList<string>? labels, string color, Func<int, bool> keepError)
    {
        if (labels is not null)
        {
            t.SetProperty("text", idx.Select(i => labels[i]).ToArray());
            t.SetProperty("textposition", "top center");
            t.SetProperty("textfont", ChartStyle.Obj(("size", 11), ("color", "#333")));
        }
        if (error is not null)
        {
            var e = idx.Select(i => keepError(i) ? Finite0(error[i]) : 0).ToArray();
            t.SetProperty("customdata", e);
            t.SetProperty("error_y", ErrorBars(e, color));
        }
    }

    private static DynamicObj.DynamicObj ErrorBars(IEnumerable<double> halfWidths, string color) =>
        ChartStyle.Obj(("type", "data"), ("symmetric", true), ("array", halfWidths.ToArray()), ("visible", true),
            ("color", color), ("thickness", 1.5), ("width", 4));

    private static string Hover(Style style, bool labels, bool error, bool categorical)
    {
        string x = categorical ? "%{x}" : "%{x:.4~g}";
        string e = error ? " ± %{customdata:.3~g}" : "";
        return (labels ? "<b>%{text}</b><br>" : "") + $"{Escape(style.XTitle)} = {x}<br>{Escape(style.YTitle)} = %{{y:.4~g}}{e}";
    }

    /// <summary>Hover templates read "%{…}" as a placeholder; titles are plain text.</summary>
    private static string Escape(string s) => s.Replace("%{", "% {");

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static double Finite0(double v) => double.IsFinite(v) ? v : 0;
}
