namespace LlcLab.Notebooks.Display;

/// <summary>A value rendered for a notebook: MIME type → text (always <c>text/plain</c>, often <c>text/html</c>).</summary>
/// <param name="Data">MIME bundle.</param>
/// <param name="Chart">The Plotly chart when the value was one (the executor also saves it as a standalone file).</param>
public sealed record FormattedValue(IReadOnlyDictionary<string, string> Data, object? Chart = null)
{
    public string PlainText => Data.TryGetValue("text/plain", out var t) ? t : "";
    public string? Html => Data.TryGetValue("text/html", out var h) ? h : null;
}
