using System.Text;

namespace LlcLab.IO;

/// <summary>Minimal RFC 4180 CSV: fields containing a comma, a double quote, CR or LF are quoted, quotes doubled.</summary>
public static class Csv
{
    /// <summary>Quotes <paramref name="field"/> if RFC 4180 requires it.</summary>
    public static string Escape(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    /// <summary>One CSV line (no line terminator).</summary>
    public static string Line(IEnumerable<string> fields) => string.Join(",", fields.Select(Escape));

    /// <summary>Parses CSV text into records of fields; handles quoted commas, quotes and line breaks, and both LF and CRLF.
    /// A final empty line is ignored.</summary>
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var sb = new StringBuilder();
        int i = 0, line = 1;
        bool inQuotes = false, fieldStarted = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                    inQuotes = false; i++; continue;
                }
                if (c == '\n') line++;
                sb.Append(c); i++; continue;
            }
            switch (c)
            {
                case '"':
                    if (sb.Length > 0) throw new InvalidDataException($"CSV line {line}: a quote inside an unquoted field; quote the whole field and double inner quotes.");
                    inQuotes = true; fieldStarted = true; i++; break;
                case ',':
                    fields.Add(sb.ToString()); sb.Clear(); fieldStarted = true; i++; break;
                case '\r':
                case '\n':
                    if (fieldStarted || sb.Length > 0 || fields.Count > 0)
                    {
                        fields.Add(sb.ToString()); sb.Clear();
                        rows.Add(fields.ToArray()); fields.Clear();
                    }
                    fieldStarted = false;
                    i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                    line++;
                    break;
                default:
                    sb.Append(c); fieldStarted = true; i++; break;
            }
        }
        if (inQuotes) throw new InvalidDataException("CSV ends inside a quoted field (an unmatched double quote).");
        if (fieldStarted || sb.Length > 0 || fields.Count > 0) { fields.Add(sb.ToString()); rows.Add(fields.ToArray()); }
        return rows;
    }
}
