using System.Collections;
using System.Data;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace LlcLab.Notebooks.Display;

/// <summary>HTML (and aligned plain-text) tables for sequences of records/objects, dictionaries and <see cref="DataTable"/>s.</summary>
public static class HtmlTable
{
    /// <summary>Rows shown before eliding.</summary>
    public const int MaxRows = 100;

    /// <summary>A table for a sequence whose elements are objects with public properties, else null.</summary>
    public static FormattedValue? TryFormatSequence(IEnumerable sequence)
    {
        var items = new List<object?>();
        bool more = false;
        foreach (var item in sequence)
        {
            if (items.Count == MaxRows) { more = true; break; }
            items.Add(item);
        }
        var first = items.FirstOrDefault(i => i is not null);
        if (first is null) return null;
        var type = first.GetType();
        if (IsScalar(type)) return null;
        string[] columns;
        Func<object?, string[]> row;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            var k = type.GetProperty("Key")!; var v = type.GetProperty("Value")!;
            columns = ["key", "value"];
            row = o => o is null ? ["", ""] : [Cell(k.GetValue(o)), Cell(v.GetValue(o))];
        }
        else
        {
            var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToArray();
            if (props.Length == 0) return null;
            columns = props.Select(p => p.Name).ToArray();
            row = o => props.Select(p => o is null || !p.DeclaringType!.IsInstanceOfType(o) ? "" : Cell(Safe(() => p.GetValue(o)))).ToArray();
        }
        return Build(columns, items.Select(row).ToList(), more);
    }

    public static FormattedValue Format(DataTable table)
    {
        var columns = table.Columns.Cast<DataColumn>().Select(c => c.ColumnName).ToArray();
        var rows = table.Rows.Cast<DataRow>().Take(MaxRows).Select(r => r.ItemArray.Select(Cell).ToArray()).ToList();
        return Build(columns, rows, table.Rows.Count > MaxRows);
    }

    static FormattedValue Build(string[] columns, List<string[]> rows, bool more)
    {
        var html = new StringBuilder("<table>\n<thead><tr>");
        foreach (var c in columns) html.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var r in rows)
        {
            html.Append("<tr>");
            foreach (var v in r) html.Append("<td>").Append(WebUtility.HtmlEncode(v)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>");
        if (more) html.Append($"\n<p>(first {MaxRows} rows shown)</p>");

        var widths = columns.Select((c, i) => Math.Min(40, Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length)))).ToArray();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", columns.Select((c, i) => Fit(c, widths[i]))));
        foreach (var r in rows) text.AppendLine(string.Join("  ", r.Select((v, i) => Fit(v, widths[i]))));
        if (more) text.AppendLine($"(first {MaxRows} rows shown)");
        return new FormattedValue(new Dictionary<string, string> { ["text/html"] = html.ToString(), ["text/plain"] = text.ToString().TrimEnd('\n') });
    }

    static string Fit(string s, int w) => s.Length > w ? s[..(w - 1)] + "…" : s.PadRight(w);

    static object? Safe(Func<object?> get)
    {
        try { return get(); } catch (Exception e) { return $"<{(e.InnerException ?? e).GetType().Name}>"; }
    }

    internal static string Cell(object? v) => v switch
    {
        null => "",
        DBNull => "",
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Take(10).Select(Cell)) + (e.Cast<object?>().Skip(10).Any() ? ", …" : "") + "]",
        _ => v.ToString() ?? "",
    };

    internal static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime) ||
        t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid);
}
