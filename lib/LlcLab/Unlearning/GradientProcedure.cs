using System.Diagnostics;
using System.Globalization;
using LlcLab.Models;
using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Base of the optimisation-based procedures: a student model (a copy of the original, or a fresh
/// initialisation for retraining) is updated for <see cref="UnlearnOptions.Steps"/> steps on an
/// objective built by <see cref="CreateObjective"/>, yielding a checkpoint every
/// <see cref="UnlearnOptions.CheckpointEvery"/> steps. Divergence (a NaN/∞ objective or a weight
/// above <see cref="UnlearnOptions.MaxAbsWeight"/>) throws <see cref="UnlearningDivergedException"/>
/// before any bad checkpoint is produced. Host synchronisation happens only at checkpoints.
/// </summary>
public abstract record GradientProcedure(UnlearnOptions? Options) : IUnlearningProcedure
{
    public UnlearnOptions Settings => Options ?? new UnlearnOptions();
    public abstract string Name { get; }
    public double Lr => Settings.Lr;

    public IReadOnlyDictionary<string, string> Hyperparameters
    {
        get
        {
            var s = Settings;
            var d = new Dictionary<string, string>
            {
                ["steps"] = s.Steps.ToString(CultureInfo.InvariantCulture),
                ["lr"] = s.Lr.ToString("R", CultureInfo.InvariantCulture),
                ["batch_size"] = s.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["optimizer"] = s.Optimizer.ToString().ToLowerInvariant(),
                ["momentum"] = s.Momentum.ToString("R", CultureInfo.InvariantCulture),
                ["weight_decay"] = s.WeightDecay.ToString("R", CultureInfo.InvariantCulture),
                ["checkpoint_every"] = s.CheckpointEvery.ToString(CultureInfo.InvariantCulture),
            };
            foreach (var (k, v) in ExtraHyperparameters()) d[k] = v;
            return d;
        }
    }

    /// <summary>Step t's update depends on t and the fixed schedule only, not on the total step count.</summary>
    public virtual bool StepsExtendPrefix => true;

    /// <summary>Procedure-specific hyperparameters for the manifest.</summary>
    protected virtual IEnumerable<(string, string)> ExtraHyperparameters() => [];

    /// <summary>Throws a clear error for bad procedure-specific hyperparameters.</summary>
    protected virtual void ValidateExtra() { }

    /// <summary>The model that is updated: by default a copy of the original.</summary>
    protected virtual Network CreateStudent(Network original, long seed) => original.Clone();

    /// <summary>Mean cross-entropy of logits against class indices (the shared <see cref="Losses"/>).</summary>
    internal static Tensor CrossEntropy(Tensor logits, Tensor y) => Losses.Compute(LossKind.CrossEntropy, logits, y);

    /// <summary>The objective minimised at each step (ascent terms enter with a minus sign).</summary>
    internal abstract Objective CreateObjective(UnlearnSession session);

    public IEnumerable<UnlearningCheckpoint> Run(Network original, UnlearningData data, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(data);
        data.Validate();
        Settings.Validate(Name);
        ValidateExtra();
        if (original.Spec.Widths[0] != data.Forget.X.shape[^1])
            throw new ArgumentException($"Model '{original.Spec}' takes {original.Spec.Widths[0]} inputs but the data has {data.Forget.X.shape[^1]} features.");
        return Iterate(original, data, seed);
    }

    IEnumerable<UnlearningCheckpoint> Iterate(Network original, UnlearningData data, long seed)
    {
        var s = Settings;
        var sw = Stopwatch.StartNew();
        using var student = CreateStudent(original, seed);
        using var session = new UnlearnSession(Name, original, student, data, seed, s);
        var objective = CreateObjective(session);
        var parameters = student.Module.parameters().ToList();
        using var optimizer = MakeOptimizer(parameters, s);
        student.Module.train();

        // The clock is paused while the consumer works on a checkpoint, so elapsed time is the procedure's own.
        var first0 = session.Snapshot(0, sw.Elapsed.TotalSeconds, double.NaN);
        sw.Stop();
        yield return first0;
        sw.Start();
        var losses = new List<Tensor>();
        int first = 1;
        for (int t = 1; t <= s.Steps; t++)
        {
            losses.Add(Step(optimizer, objective, t));
            if (t % s.CheckpointEvery != 0 && t != s.Steps) continue;
            double mean = CheckInterval(losses, first, t, student, s);
            foreach (var l in losses) l.Dispose();
            losses.Clear();
            first = t + 1;
            var ck = session.Snapshot(t, sw.Elapsed.TotalSeconds, mean);
            sw.Stop();
            yield return ck;
            sw.Start();
        }
    }

    static Tensor Step(optim.Optimizer optimizer, Objective objective, int t)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = objective.Loss(t);
        loss.backward();
        objective.AfterBackward?.Invoke();
        optimizer.step();
        if (objective.AfterStep is { } after) { using var _ = no_grad(); after(); }
        return loss.detach().MoveToOuterDisposeScope();
    }

    /// <summary>One host sync per checkpoint: the interval's losses and the weights must be finite and bounded.</summary>
    double CheckInterval(List<Tensor> losses, int first, int last, Network student, UnlearnOptions s)
    {
        using var scope = NewDisposeScope();
        var stacked = stack(losses).to(float64);
        var finite = isfinite(stacked);
        if (!finite.all().item<bool>())
        {
            long bad = (~finite).nonzero()[0, 0].item<long>();
            throw new UnlearningDivergedException(Name, first + (int)bad, s.Lr, "the objective became NaN or infinite");
        }
        double maxAbs;
        using (no_grad())
            maxAbs = stack(student.Module.parameters().Select(p => p.detach().abs().max().to(float64)).ToList()).max().item<double>();
        if (double.IsNaN(maxAbs) || maxAbs > s.MaxAbsWeight)
            throw new UnlearningDivergedException(Name, last, s.Lr,
                double.IsNaN(maxAbs) ? "a weight became NaN" : $"the largest |weight| reached {maxAbs:G3} > MaxAbsWeight = {s.MaxAbsWeight:G3}");
        return stacked.mean().item<double>();
    }

    static optim.Optimizer MakeOptimizer(IEnumerable<TorchSharp.Modules.Parameter> ps, UnlearnOptions s) => s.Optimizer switch
    {
        UnlearnOptimizer.Sgd => optim.SGD(ps, s.Lr, momentum: s.Momentum, weight_decay: s.WeightDecay),
        UnlearnOptimizer.Adam => optim.Adam(ps, s.Lr, beta1: 0.9, beta2: 0.999, weight_decay: s.WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer {s.Optimizer}."),
    };
}

/// <summary>What a procedure minimises at step t, plus optional gradient / parameter hooks.</summary>
internal sealed class Objective
{
    public required Func<int, Tensor> Loss { get; init; }
    /// <summary>Runs after backward, before the optimiser step (e.g. masking gradients).</summary>
    public Action? AfterBackward { get; init; }
    /// <summary>Runs after the optimiser step, without gradient (e.g. projecting parameters).</summary>
    public Action? AfterStep { get; init; }
}

/// <summary>The state a gradient procedure runs with: the student, the data and its batch streams.</summary>
internal sealed class UnlearnSession : IDisposable
{
    public string Name { get; }
    public Network Original { get; }
    public Network Student { get; }
    public UnlearningData Data { get; }
    public long Seed { get; }
    public UnlearnOptions Options { get; }
    public Device Device => Student.Device;
    BatchStream? forget, retain;

    public UnlearnSession(string name, Network original, Network student, UnlearningData data, long seed, UnlearnOptions options)
    {
        Name = name; Original = original; Student = student; Data = data; Seed = seed; Options = options;
    }

    /// <summary>Number of output classes of the model.</summary>
    public long Classes => Student.Spec.Widths[^1];

    BatchStream Forget => forget ??= new BatchStream(Data.Forget.Count, Options.BatchSize, Seeding.Derive(Seed, 101), Data.Forget.X.device);
    BatchStream Retain => retain ??= new BatchStream(Data.Retain.Count, Options.BatchSize, Seeding.Derive(Seed, 102), Data.Retain.X.device);

    /// <summary>Next forget minibatch: row indices (within D_f), inputs and labels on the model's device.</summary>
    public (Tensor Rows, Tensor X, Tensor Y) NextForget() => Take(Forget.Next(), Data.Forget);

    /// <summary>Next retain minibatch.</summary>
    public (Tensor Rows, Tensor X, Tensor Y) NextRetain() => Take(Retain.Next(), Data.Retain);

    /// <summary>Number of minibatches in one pass over D_f / D_r.</summary>
    public int ForgetBatchesPerEpoch => (int)((Data.Forget.Count + Options.BatchSize - 1) / Options.BatchSize);
    public int RetainBatchesPerEpoch => (int)((Data.Retain.Count + Options.BatchSize - 1) / Options.BatchSize);

    (Tensor, Tensor, Tensor) Take(Tensor rows, LabelledSubset set) =>
        (rows, set.X.index_select(0, rows).to(Device), set.Y.index_select(0, rows.to(set.Y.device)).to(Device));

    /// <summary>Student logits with gradient.</summary>
    public Tensor Logits(Tensor x) => Student.Module.call(x);

    public UnlearningCheckpoint Snapshot(int step, double elapsed, double loss)
    {
        var usage = new DataUsage(forget?.Draws ?? 0, retain?.Draws ?? 0,
            Map(forget?.SeenRows() ?? [], Data.Forget), Map(retain?.SeenRows() ?? [], Data.Retain));
        return new UnlearningCheckpoint(Name, step, Student.StateDict(), elapsed, usage) { Loss = loss };
    }

    static long[] Map(long[] rows, LabelledSubset set) =>
        set.Indices is null ? rows : rows.Select(r => set.Indices[r]).OrderBy(v => v).ToArray();

    public void Dispose() { forget?.Dispose(); retain?.Dispose(); }
}
