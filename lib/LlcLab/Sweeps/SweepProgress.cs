namespace LlcLab.Sweeps;

/// <summary>
/// Progress of a sweep run after a cell finished: counts, elapsed time and the ETA. ETA = remaining cells × (mean
/// wall time of the cells finished in this run) / workers — the simplest estimate that is right for a grid of cells of
/// similar cost; null until one cell has finished.
/// </summary>
public sealed record SweepProgress(PlannedCell Cell, CellOutcome Outcome, int Finished, int Total, int Failed, TimeSpan CellTime, TimeSpan Elapsed, int Workers)
{
    /// <summary>Estimated time until the last cell finishes.</summary>
    public TimeSpan? Eta => Finished == 0 ? null : TimeSpan.FromSeconds(MeanCellSeconds * (Total - Finished) / Math.Max(1, Math.Min(Workers, Total - Finished)));

    /// <summary>Mean wall time of a finished cell in this run, from the overall throughput (elapsed × workers / finished).</summary>
    public double MeanCellSeconds => Finished == 0 ? 0 : Elapsed.TotalSeconds * Math.Min(Workers, Total) / Finished;
}
