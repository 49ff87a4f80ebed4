using LlcLab.Models;
using LlcLab.Unlearning;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>The search space of one procedure: learning rates × checkpoints every <see cref="Every"/> steps up to <see cref="MaxSteps"/>.</summary>
public sealed record TuningGrid(string Procedure, IReadOnlyList<double> Lrs, int MaxSteps, int Every)
{
    /// <summary>The step budgets tried: Every, 2·Every, …, MaxSteps.</summary>
    public IEnumerable<int> Steps => Enumerable.Range(1, MaxSteps / Every).Select(k => k * Every);
}

/// <summary>The retrained model's accuracies that tuning aims at (forget, retain, validation).</summary>
public sealed record TuningTarget(double Forget, double Retain, double Validation);

/// <summary>One evaluated grid point: a learning rate, a step count and the accuracies there.</summary>
public sealed record TuningPoint(double Lr, int Steps, double Forget, double Retain, double Validation)
{
    /// <summary>Retain and validation accuracy within <paramref name="tolerance"/> of retrain's.</summary>
    public bool Feasible(TuningTarget t, double tolerance) => Math.Abs(Retain - t.Retain) <= tolerance && Math.Abs(Validation - t.Validation) <= tolerance;
    /// <summary>|UA − UA_retrain|.</summary>
    public double ForgetGap(TuningTarget t) => Math.Abs(Forget - t.Forget);
    /// <summary>|UA − UA_rt| + |RA − RA_rt| + |VA − VA_rt| (the fallback objective when no point is feasible).</summary>
    public double TotalGap(TuningTarget t) => ForgetGap(t) + Math.Abs(Retain - t.Retain) + Math.Abs(Validation - t.Validation);
}

/// <summary>The chosen point, whether it met the retain/validation tolerance, every point tried, and the chosen model's weights.</summary>
public sealed record TuningOutcome(TuningPoint Chosen, bool Feasible, IReadOnlyList<TuningPoint> Grid, IReadOnlyDictionary<string, Tensor> State,
    IReadOnlyList<double> DivergedLrs);

/// <summary>
/// Hyperparameter tuning of an unlearning procedure on a validation split, as in SalUn's repository (a grid over learning rate
/// and epochs, keeping the run whose accuracies are closest to retrain's). Each learning rate is one run of
/// <see cref="TuningGrid.MaxSteps"/> steps, evaluated at every <see cref="TuningGrid.Every"/>-th step (the model at step s of that
/// run is the candidate "s steps"), on D_f (UA), D_r (RA) and a validation split carved from the held-out data (VA; the test
/// half used for reporting is never seen by tuning). <see cref="Choose"/>: among points with |RA − RA_rt| ≤ tol and
/// |VA − VA_rt| ≤ tol (tol = 2 points), the one with the smallest |UA − UA_rt|, ties to fewer steps then the smaller lr; when no
/// point is feasible, the one with the smallest summed gap, reported as not feasible. A learning rate that diverges keeps the
/// points before divergence.
/// </summary>
public static class ProcedureTuning
{
    /// <summary>The retain/validation tolerance (2 accuracy points).</summary>
    public const double Tolerance = 0.02;

    /// <summary>The default grids: three learning rates per procedure around its literature value (two in quick mode).</summary>
    public static TuningGrid DefaultGrid(string procedure, bool quick)
    {
        double[] lrs = procedure switch
        {
            "finetune" => [0.01, 0.03, 0.1],
            "neggrad" => [1e-4, 3e-4, 1e-3],
            "graddiff" or "relabel" or "salun" => [0.003, 0.01, 0.03],
            "scrub" => [0.001, 0.003, 0.01],
            _ => throw new ArgumentException($"No tuning grid for procedure '{procedure}'; use finetune, neggrad, graddiff, relabel, salun or scrub."),
        };
        return quick ? new TuningGrid(procedure, lrs[1..], 60, 10) : new TuningGrid(procedure, lrs, 150, 10);
    }

    /// <summary>The procedures that have a tuning grid (<see cref="DefaultGrid"/>).</summary>
    public static IReadOnlyList<string> Tunable { get; } = ["finetune", "neggrad", "graddiff", "relabel", "salun", "scrub"];

    /// <summary>A tunable procedure by name with these options, from <see cref="ProcedureRegistry"/> (the literature's other
    /// hyperparameters, as in <see cref="UnlearningLlcExperiment.Create"/>).</summary>
    public static IUnlearningProcedure Create(string name, UnlearnOptions u) => Tunable.Contains(name)
        ? ProcedureRegistry.Create(name, u)
        : throw new ArgumentException($"Unknown procedure '{name}'; use {string.Join(", ", Tunable)}.");

    /// <summary>Runs the grid and returns the chosen point and its weights.</summary>
    public static TuningOutcome Tune(TuningGrid grid, Network original, UnlearningData data, LabelledSubset validation, TuningTarget target,
        long seed, double tolerance = Tolerance)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.Every < 1 || grid.MaxSteps < grid.Every) throw new ArgumentException($"Tuning grid for {grid.Procedure}: need 1 ≤ Every ≤ MaxSteps (got {grid.Every}, {grid.MaxSteps}).");
        if (grid.Lrs.Count == 0) throw new ArgumentException($"Tuning grid for {grid.Procedure} has no learning rates.");
        var points = new List<TuningPoint>();
        var states = new Dictionary<(double, int), IReadOnlyDictionary<string, Tensor>>();
        var diverged = new List<double>();
        TuningPoint? best = null;
        foreach (var lr in grid.Lrs)
        {
            var proc = Create(grid.Procedure, new UnlearnOptions { Steps = grid.MaxSteps, CheckpointEvery = grid.Every, Lr = lr });
            try
            {
                foreach (var ck in proc.Run(original, data, seed))
                {
                    if (ck.Step == 0) continue;
                    using var net = ck.ToNetwork(original);
                    var p = new TuningPoint(lr, ck.Step, Evaluate.Accuracy(net, data.Forget.X, data.Forget.Y),
                        Evaluate.Accuracy(net, data.Retain.X, data.Retain.Y), Evaluate.Accuracy(net, validation.X, validation.Y));
                    points.Add(p);
                    // Keep only the running best's weights (the grid's models would not all fit in memory for larger nets).
                    var now = Choose(points, target, tolerance).Point;
                    if (now == p)
                    {
                        foreach (var t in states.Values.SelectMany(s => s.Values)) t.Dispose();
                        states.Clear();
                        states[(lr, ck.Step)] = ck.State.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
                        best = p;
                    }
                }
            }
            catch (UnlearningDivergedException) { diverged.Add(lr); }
        }
        if (best is null) throw new InvalidOperationException($"Tuning {grid.Procedure}: every learning rate diverged before its first checkpoint; lower the grid's rates.");
        var (chosen, feasible) = Choose(points, target, tolerance);
        return new TuningOutcome(chosen, feasible, points, states[(chosen.Lr, chosen.Steps)], diverged);
    }

    /// <summary>The selection rule (see the class summary) on evaluated points.</summary>
    public static (TuningPoint Point, bool Feasible) Choose(IReadOnlyList<TuningPoint> points, TuningTarget target, double tolerance = Tolerance)
    {
        if (points.Count == 0) throw new ArgumentException("No tuning points to choose from.");
        var feasible = points.Where(p => p.Feasible(target, tolerance)).ToList();
        if (feasible.Count > 0)
            return (feasible.OrderBy(p => p.ForgetGap(target)).ThenBy(p => p.Steps).ThenBy(p => p.Lr).First(), true);
        return (points.OrderBy(p => p.TotalGap(target)).ThenBy(p => p.Steps).ThenBy(p => p.Lr).First(), false);
    }
}
