namespace LlcLab.Data;

/// <summary>
/// Finds the project's <c>data/</c> folder: the <c>LLCLAB_DATA</c> environment variable if set, else the
/// first <c>data/</c> folder holding the requested file found by walking up from the working directory,
/// then from the folder of the LlcLab assembly (so notebooks and tests run from any sub-folder work).
/// </summary>
public static class DataFiles
{
    public const string EnvironmentVariable = "LLCLAB_DATA";

    /// <summary>Full path of <c>data/<paramref name="fileName"/></c>; a clear error names every place searched.</summary>
    public static string Find(string fileName)
    {
        var searched = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
        {
            var p = Path.Combine(env, fileName);
            if (File.Exists(p)) return p;
            searched.Add($"{env} (from {EnvironmentVariable})");
        }
        var starts = new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Path.GetDirectoryName(typeof(DataFiles).Assembly.Location) };
        foreach (var start in starts.Where(s => !string.IsNullOrEmpty(s)).Distinct())
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                var p = Path.Combine(dir.FullName, "data", fileName);
                if (File.Exists(p)) return p;
            }
            searched.Add($"{start} and its parents");
        }
        throw new FileNotFoundException(
            $"Could not find data/{fileName}. Searched: {string.Join("; ", searched)}. " +
            $"Run from inside the LlcNotebooks checkout, or set {EnvironmentVariable} to the folder holding {fileName}.", fileName);
    }
}
