namespace LlcLab.IO;

/// <summary>
/// Where notebooks and protocols write their tidy result tables and figures:
/// <c>$LLCLAB_RESULTS_DIR</c> when set, else <c>notebooks/results/</c> of the repository
/// (found by walking up from the working directory to the folder holding <c>LlcNotebooks.sln</c>),
/// else <c>./results</c>.
/// </summary>
public static class ResultsFolder
{
    /// <summary>The environment variable that overrides the results folder.</summary>
    public const string EnvironmentVariable = "LLCLAB_RESULTS_DIR";

    /// <summary>The results folder (created if missing).</summary>
    public static string Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
            string dir;
            if (!string.IsNullOrWhiteSpace(env)) dir = Path.GetFullPath(env);
            else
            {
                var repo = FindRepositoryRoot(Directory.GetCurrentDirectory());
                dir = repo is null ? Path.GetFullPath("results") : Path.Combine(repo, "notebooks", "results");
            }
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>Full path of <paramref name="fileName"/> inside the results folder.</summary>
    public static string PathOf(string fileName) => Path.Combine(Root, fileName);

    internal static string? FindRepositoryRoot(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LlcNotebooks.sln"))) return d.FullName;
        return null;
    }
}
