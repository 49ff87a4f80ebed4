using DynamicObj;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace LlcLab.Plots;

/// <summary>
/// The suite's one chart style, which every builder in <c>LlcLab.Plots</c> applies through <see cref="WithTitles"/>:
/// the figure is responsive (no fixed size; the plot fills its container, with explicit margins that grow to fit
/// tick labels), the legend is a horizontal row pinned to the bottom of the figure (container coordinates, so it
/// reserves its own strip and never covers data or the x-axis title), titles are left-aligned, the background is
/// white with light grid lines, and hovering shows the nearest point. Static exports use one stated size:
/// <see cref="ExportWidth"/> × <see cref="ExportHeight"/> CSS px at <see cref="ExportScale"/>
/// (1920 × 1200 PNG pixels; see <see cref="ChartExport"/>). Also holds small helpers over Plotly.NET's F# styling
/// functions (whose optional arguments C# must pass positionally).
/// </summary>
public static class ChartStyle
{
    /// <summary>Width of every exported figure in CSS pixels.</summary>
    public const int ExportWidth = 960;
    /// <summary>Height of every exported figure in CSS pixels.</summary>
    public const int ExportHeight = 600;
    /// <summary>Device-pixel scale of PNG exports: a PNG is ExportWidth·ExportScale × ExportHeight·ExportScale pixels.</summary>
    public const int ExportScale = 2;

    /// <summary>Point labels are printed beside the markers only when a chart has at most this many labelled points;
    /// above it they would overlap, so they move to the hover text.</summary>
    public const int MaxPrintedLabels = 8;

    /// <summary>Printed labels need every pair of labelled points at least this far apart on one axis (fraction of the axis
    /// range); closer points would print overlapping text, so their labels go to the hover text.</summary>
    public const double MinLabelSeparation = 0.12;

    /// <summary>Colour of estimates that failed validity (hollow markers, outline bars).</summary>
    public const string InvalidColor = "#8c8c8c";

    /// <summary>The note a chart carries when it draws an estimate that failed validity.</summary>
    public const string InvalidNote = "open grey markers: failed validity (not at a minimum / R̂ / MALA)";

    /// <summary>Legend group shared by every invalid point of a chart (one legend entry, toggled together).</summary>
    public const string InvalidLegendGroup = "failed-validity";

    /// <summary>The note a bar chart carries when a bar failed validity.</summary>
    public const string InvalidBarNote = "open grey bars: failed validity (not at a minimum / R̂ / MALA)";

    /// <summary>Series colours (Tableau 10 without its grey, which is reserved for invalid estimates).</summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

    /// <summary>Colour of the <paramref name="index"/>-th series.</summary>
    public static string ColorOf(int index) => Palette[((index % Palette.Count) + Palette.Count) % Palette.Count];

    internal static FSharpOption<T> Some<T>(T value) => FSharpOption<T>.Some(value);

    /// <summary>
    /// Sets the chart title and the x/y axis titles (<paramref name="logX"/>/<paramref name="logY"/> switch to log axes)
    /// and applies the suite style (<see cref="WithHouseStyle"/>).
    /// </summary>
    public static GenericChart WithTitles(this GenericChart chart, string title, string? xTitle = null, string? yTitle = null,
        bool logX = false, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(chart);
        chart = Chart.withTitle(title, null).Invoke(chart);
        if (xTitle is not null || logX) chart = XAxis(chart, xTitle, logX);
        if (yTitle is not null || logY) chart = YAxis(chart, yTitle, logY);
        return chart.WithHouseStyle();
    }

    /// <summary>
    /// The suite style as a layout patch merged over the chart's own layout (titles, axis types and notes survive).
    /// Idempotent: applying it twice gives the same figure.
    /// </summary>
    public static GenericChart WithHouseStyle(this GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var layout = GenericChart.getLayout(chart);
        // Margins in px; automargin lets tick labels and axis titles push them further, the legend reserves its own strip.
        // Responsive: no fixed width/height (Plotly.NET's defaults put 600 × 600 here); exports set the stated size.
        layout.RemoveProperty("width");
        layout.RemoveProperty("height");
        layout.SetProperty("autosize", true);
        layout.SetProperty("margin", Obj(("l", 72), ("r", 24), ("t", 64), ("b", 16), ("pad", 2)));
        layout.SetProperty("font", Obj(("family", "Arial, Helvetica, sans-serif"), ("size", 13), ("color", "#222")));
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("plot_bgcolor", "white");
        layout.SetProperty("colorway", Palette.ToArray());
        layout.SetProperty("hovermode", "closest");
        layout.SetProperty("showlegend", true);
        // Horizontal legend at the bottom of the figure (container-referenced: it reserves space below the x-axis title).
        layout.SetProperty("legend", Obj(("orientation", "h"), ("xref", "paper"), ("x", 0.0), ("xanchor", "left"),
            ("yref", "container"), ("y", 0.0), ("yanchor", "bottom"), ("font", Obj(("size", 12))), ("bgcolor", "rgba(255,255,255,0)")));
        var title = Merge(layout, "title");
        title.SetProperty("x", 0.0);
        title.SetProperty("xref", "paper");
        title.SetProperty("xanchor", "left");
        // Title just above the plot (and above the notes), so a subtitle line never runs off the top of the figure.
        title.SetProperty("yref", "paper");
        title.SetProperty("y", 1.0);
        title.SetProperty("yanchor", "bottom");
        title.SetProperty("font", Obj(("size", 17)));
        foreach (var axis in new[] { "xaxis", "yaxis" })
        {
            var a = Merge(layout, axis);
            a.SetProperty("automargin", true);
            a.SetProperty("showline", true);
            a.SetProperty("linecolor", "#444");
            a.SetProperty("ticks", "outside");
            a.SetProperty("gridcolor", "#e5e5e5");
            // y = 0 is a reference for λ̂ and Δ's; x = 0 is not (it would double the y axis line).
            a.SetProperty("zeroline", axis == "yaxis");
            a.SetProperty("zerolinecolor", "#b0b0b0");
            a.SetProperty("zerolinewidth", 1);
            var t = Merge(a, "title");
            t.SetProperty("standoff", 8);
        }
        ReserveTop(layout);
        var config = GenericChart.getConfig(chart);
        config.SetProperty("responsive", true);
        config.SetProperty("displaylogo", false);
        return GenericChart.setConfig(config, GenericChart.setLayout(layout, chart));
    }

    /// <summary>
    /// Adds a short note in the top margin, right-aligned above the plot (outside the data and the legend), e.g.
    /// what the error bars are or that open markers failed validity. Several notes stack, one per line.
    /// </summary>
    public static GenericChart WithNote(this GenericChart chart, string note)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        var layout = GenericChart.getLayout(chart);
        var existing = layout.TryGetPropertyValue("annotations") is { } v && FSharpOption<object>.get_IsSome(v)
            ? ((IEnumerable<object>)v.Value).ToList() : new List<object>();
        var notes = existing.OfType<DynamicObj.DynamicObj>().FirstOrDefault(a => a.TryGetPropertyValue("name") is { } n
            && FSharpOption<object>.get_IsSome(n) && (string)n.Value == NoteName);
        if (notes is null)
        {
            notes = Obj(("name", NoteName), ("text", note), ("xref", "paper"), ("yref", "paper"), ("x", 1.0), ("y", 1.0),
                ("xanchor", "right"), ("yanchor", "bottom"), ("yshift", 4), ("align", "right"), ("showarrow", false),
                ("font", Obj(("size", 11), ("color", "#555"))));
            existing.Add(notes);
        }
        else
        {
            var text = (string)notes.GetPropertyValue("text");
            if (!text.Split("<br>").Contains(note)) notes.SetProperty("text", text + "<br>" + note);
        }
        layout.SetProperty("annotations", existing.ToArray());
        ReserveTop(layout);
        return GenericChart.setLayout(layout, chart);
    }

    /// <summary>
    /// Marks a chart drawn from an unfinished sweep: <paramref name="sweepNote"/> is the note of
    /// <see cref="Sweeps.SweepTables.LoadExperiment"/> (<see cref="Sweeps.SweepTables.PartialNote"/>), empty for a finished
    /// sweep or a live run, which leaves the chart unchanged. Otherwise its first clause ("INTERIM: 4 of 10 cells") becomes a
    /// bold note above the plot, so a screenshot or an exported PNG cannot pass for a final result.
    /// </summary>
    public static GenericChart WithInterim(this GenericChart chart, string? sweepNote)
    {
        ArgumentNullException.ThrowIfNull(chart);
        if (string.IsNullOrWhiteSpace(sweepNote)) return chart;
        int cut = sweepNote.IndexOf(" of this sweep", StringComparison.Ordinal);
        string head = cut > 0 ? sweepNote[..cut] + " finished" : sweepNote.Split(';')[0];
        if (head.StartsWith("INTERIM:", StringComparison.Ordinal)) head = head["INTERIM:".Length..].Trim();
        return chart.WithNote($"<b>INTERIM</b>: {head}; over the finished cells only");
    }

    /// <summary>The notes of a chart (the lines of its note annotation), for tests and captions.</summary>
    public static IReadOnlyList<string> Notes(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var layout = GenericChart.getLayout(chart);
        if (layout.TryGetPropertyValue("annotations") is not { } v || !FSharpOption<object>.get_IsSome(v)) return [];
        return ((IEnumerable<object>)v.Value).OfType<DynamicObj.DynamicObj>()
            .Where(a => a.TryGetPropertyValue("name") is { } n && FSharpOption<object>.get_IsSome(n) && (string)n.Value == NoteName)
            .SelectMany(a => ((string)a.GetPropertyValue("text")).Split("<br>")).ToArray();
    }

    private const string NoteName = "llclab-notes";

    /// <summary>
    /// Stacks, above the plot: the notes (15 px per line) and over them the title (26 px per line; a subtitle is a second
    /// line, 20 px). Sets the title's bottom padding to clear the notes and the top margin to hold both.
    /// </summary>
    private static void ReserveTop(DynamicObj.DynamicObj layout)
    {
        var title = Merge(layout, "title");
        int titleLines = title.TryGetPropertyValue("text") is { } x && x.Value is string text ? text.Split("<br>").Length : 0;
        int notes = NoteLines(layout);
        int notesHeight = notes == 0 ? 0 : 6 + 15 * notes;
        // plotly.js anchors a multi-line title by its first line and lets the others hang below it: lift it by their height.
        title.SetProperty("pad", Obj(("b", notesHeight + 10 + 20 * Math.Max(titleLines - 1, 0))));
        Merge(layout, "margin").SetProperty("t", 12 + notesHeight + 10 + 26 + 20 * Math.Max(titleLines - 1, 0));
    }

    private static int NoteLines(DynamicObj.DynamicObj layout)
    {
        if (layout.TryGetPropertyValue("annotations") is not { } v || v.Value is not IEnumerable<object> items) return 0;
        return items.OfType<DynamicObj.DynamicObj>()
            .Where(a => a.TryGetPropertyValue("name") is { } n && n.Value is string s && s == NoteName)
            .Sum(a => ((string)a.GetPropertyValue("text")).Split("<br>").Length);
    }

    /// <summary>Sets a fixed layout size in pixels (for exports; the suite's charts are otherwise responsive).</summary>
    public static GenericChart WithPixelSize(this GenericChart chart, int width, int height) =>
        Chart.withSize(Some(width), Some(height)).Invoke(chart);

    /// <summary>Adds symmetric y error bars (one half-width per point) to every trace of <paramref name="chart"/>.</summary>
    public static GenericChart WithYErrors(this GenericChart chart, IEnumerable<double> halfWidths) =>
        Chart.withYErrorStyle<double, double>(Some(true), null, Some(true), Some(Finite(halfWidths)), null,
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Adds symmetric x error bars to every trace of <paramref name="chart"/>.</summary>
    public static GenericChart WithXErrors(this GenericChart chart, IEnumerable<double> halfWidths) =>
        Chart.withXErrorStyle<double, double>(Some(true), null, Some(true), Some(Finite(halfWidths)), null,
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Adds asymmetric y error bars (distance above and below each point).</summary>
    public static GenericChart WithYErrors(this GenericChart chart, IEnumerable<double> above, IEnumerable<double> below) =>
        Chart.withYErrorStyle<double, double>(Some(true), null, Some(false), Some(Finite(above)), Some(Finite(below)),
            null, null, null, null, null, null, null, null).Invoke(chart);

    /// <summary>Combines charts into one figure (traces overlaid on shared axes).</summary>
    public static GenericChart Combine(params GenericChart[] charts) => Plotly.NET.CSharp.Chart.Combine(charts);

    /// <summary>Combines charts into one figure (traces overlaid on shared axes).</summary>
    public static GenericChart Combine(IEnumerable<GenericChart> charts) => Plotly.NET.CSharp.Chart.Combine(charts);

    /// <summary>Sets a plotly.js attribute on every trace of <paramref name="chart"/> (for attributes Plotly.NET's C# API does not expose).</summary>
    internal static GenericChart SetOnTraces(this GenericChart chart, string attribute, object value) =>
        GenericChart.mapTrace(FSharpFunc<Trace, Trace>.FromConverter(t => { t.SetProperty(attribute, value); return t; }), chart);

    /// <summary>A plotly.js attribute object (nested objects are <see cref="DynamicObj.DynamicObj"/>s, which Plotly.NET serialises as JSON objects).</summary>
    internal static DynamicObj.DynamicObj Obj(params (string Name, object Value)[] properties)
    {
        var o = new DynamicObj.DynamicObj();
        foreach (var (n, v) in properties) o.SetProperty(n, v);
        return o;
    }

    /// <summary>The nested attribute object <paramref name="name"/> of <paramref name="parent"/>, created when absent, so a patch keeps what is there.</summary>
    private static DynamicObj.DynamicObj Merge(DynamicObj.DynamicObj parent, string name)
    {
        if (parent.TryGetPropertyValue(name) is { } v && FSharpOption<object>.get_IsSome(v) && v.Value is DynamicObj.DynamicObj d) return d;
        var fresh = new DynamicObj.DynamicObj();
        parent.SetProperty(name, fresh);
        return fresh;
    }

    /// <summary>Error half-widths with NaN (e.g. the interval of a single seed) drawn as no bar.</summary>
    private static IEnumerable<double> Finite(IEnumerable<double> values) => values.Select(v => double.IsFinite(v) ? v : 0).ToArray();

    private static GenericChart XAxis(GenericChart chart, string? title, bool log) =>
        Chart.withXAxisStyle<double, double, string>(title is null ? null : Some(title), null, null, null, null,
            log ? Some(StyleParam.AxisType.Log) : null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).Invoke(chart);

    private static GenericChart YAxis(GenericChart chart, string? title, bool log) =>
        Chart.withYAxisStyle<double, double, string>(title is null ? null : Some(title), null, null, null, null,
            log ? Some(StyleParam.AxisType.Log) : null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).Invoke(chart);

    internal static void RequireSameLength(string what, int expected, int actual, string paramName)
    {
        if (expected != actual)
            throw new ArgumentException($"{what}: expected {expected} values to match the x values but got {actual}; pass one value per point.", paramName);
    }
}
