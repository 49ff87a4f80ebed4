namespace LlcLab.Sweeps;

/// <summary>One cell's line in a status report.</summary>
/// <param name="Cell">The planned cell.</param>
/// <param name="State">Its state now.</param>
/// <param name="Detail">For a failed cell the error's first line; for a running one where it runs; for a done one its wall time.</param>
/// <param name="Seconds">Wall time of a done cell.</param>
public sealed record CellStatus(PlannedCell Cell, CellState State, string? Detail, double? Seconds);

/// <summary>
/// The state of every cell of a sweep folder (<c>llclab sweep status</c>, <c>plan</c>): done, running, failed (with the
/// error's first line) or pending, and the estimated remaining cost. The per-cell estimate is the mean wall time of this
/// sweep's done cells, or the protocol's prior (<see cref="ISweepProtocol.PriorCost"/>) before any cell finished.
/// </summary>
public sealed record SweepStatus(SweepPlan Plan, IReadOnlyList<CellStatus> Cells, double? SecondsPerCell, bool EstimateMeasured)
{
    public int Done => Count(CellState.Done);
    public int Failed => Count(CellState.Failed);
    public int Running => Count(CellState.Running);
    public int Pending => Count(CellState.Pending);
    public int Total => Cells.Count;
    public bool Complete => Done == Total;

    int Count(CellState s) => Cells.Count(c => c.State == s);

    /// <summary>Estimated core-time of the cells not done (null when unknown).</summary>
    public TimeSpan? RemainingCost => SecondsPerCell is double s ? TimeSpan.FromSeconds(s * (Total - Done)) : null;

    /// <summary>Reads the states of a sweep folder's cells.</summary>
    public static SweepStatus Read(string folder)
    {
        var plan = SweepPlan.Load(folder);
        var store = new ShardStore(folder);
        var cells = plan.Cells.Select(c =>
        {
            var state = store.State(c.Id);
            return state switch
            {
                CellState.Done => store.Meta(c.Id) is { } m ? new CellStatus(c, state, $"{m.Seconds:F1} s on {m.Host} ({m.Device})", m.Seconds) : new CellStatus(c, state, null, null),
                CellState.Failed => new CellStatus(c, state, store.FailureLine(c.Id), null),
                CellState.Running => new CellStatus(c, state, store.Running(c.Id) is { } r ? $"on {r.Host} pid {r.Pid} since {r.StartedUtc:HH:mm:ss} UTC" : null, null),
                _ => new CellStatus(c, state, null, null),
            };
        }).ToList();
        var measured = cells.Where(c => c.Seconds is not null).Select(c => c.Seconds!.Value).ToList();
        if (measured.Count > 0) return new SweepStatus(plan, cells, measured.Average(), true);
        var protocol = SweepProtocols.Get(plan.Protocol);
        var priors = plan.Cells.Select(c => protocol.PriorCost(c.Input)).ToList();
        double? prior = priors.All(p => p is not null) ? priors.Average(p => p!.Value.TotalSeconds) : null;
        return new SweepStatus(plan, cells, prior, false);
    }
}
