using System.Diagnostics;

namespace LlcLab.Sweeps;

/// <summary>Submits a written script with <c>sbatch --parsable</c> (optionally <c>--wait</c>: return when every array task ended).</summary>
public static class SlurmSubmitter
{
    /// <summary>Submits <paramref name="script"/>; returns the job id and sbatch's exit code (with <paramref name="wait"/>, the
    /// highest exit code of the array's tasks).</summary>
    public static (string JobId, int ExitCode) Submit(string script, bool wait = false, string sbatch = "sbatch")
    {
        var psi = new ProcessStartInfo(sbatch) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--parsable");
        if (wait) psi.ArgumentList.Add("--wait");
        psi.ArgumentList.Add(script);
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start '{sbatch}'."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run '{sbatch}' ({e.Message}): is this a Slurm login node? The script is {script}; submit it by hand with `sbatch {script}`.", e);
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            // --parsable prints "jobid[;cluster]" first; with --wait sbatch then blocks until the job ends.
            string first = p.StandardOutput.ReadLine() ?? "";
            string rest = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string jobId = first.Split(';')[0].Trim();
            if (jobId.Length == 0 || !jobId.All(char.IsAsciiDigit))
                throw new InvalidOperationException($"sbatch failed (exit code {p.ExitCode}): {(stderr.Result + first + rest).Trim()}");
            return (jobId, p.ExitCode);
        }
    }
}
