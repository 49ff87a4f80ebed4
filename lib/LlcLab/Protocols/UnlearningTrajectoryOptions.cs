using LlcLab.Sampling;
using LlcLab.Unlearning;
using LlcLab.Analysis;
using LlcLab.Tasks;

namespace LlcLab.Protocols;

/// <summary>Settings of the "LLC during unlearning" protocol (<see cref="UnlearningTrajectoryExperiment"/>, notebook 08);
/// defaults are the full-size experiment.</summary>
public sealed record UnlearningTrajectoryOptions
{
    /// <summary>Data sets: "digits" and/or "fashion" — the unlearning problems of the RQ4 audit (<see cref="AuditTask"/>), so the two
    /// protocols study the same models and forget sets.</summary>
    public IReadOnlyList<string> Datasets { get; init; } = ["digits", "fashion"];
    /// <summary>Forget kinds: "class" (every training row of <see cref="ForgetClass"/>) and/or "random" (a seeded 10 % of D_train,
    /// <see cref="UnlearningAuditOptions.ForgetFraction"/>).</summary>
    public IReadOnlyList<string> ForgetKinds { get; init; } = ["class", "random"];
    /// <summary>Network architecture on digits (Fashion-MNIST uses the audit's <see cref="UnlearningAuditOptions.FashionArch"/>).</summary>
    public string Arch { get; init; } = "mlp:64-64-64-10:relu";
    /// <summary>The class to forget under "class" (D_f = its training rows, D_r = the other training rows).</summary>
    public long ForgetClass { get; init; } = 3;
    /// <summary>Tune each gradient procedure's learning rate and length on the validation split first (<see cref="ProcedureTuning"/>,
    /// as in SalUn's repository and the RQ4 audit), then observe the tuned run; false: the untuned defaults of
    /// <see cref="UnlearningTrajectoryProcedures.Create(string, UnlearningTrajectoryOptions, long)"/>.</summary>
    public bool Tuned { get; init; } = true;
    /// <summary>Hidden layer at which LEACE and INLP erase the indicator "is the forget class".</summary>
    public string Layer { get; init; } = "h1";
    /// <summary>Training seeds; every procedure runs once per seed.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1, 2, 3, 4];
    /// <summary>Procedures: finetune, neggrad, graddiff, relabel, scrub, salun (gradient), leace (strength t), inlp (round by round).</summary>
    public IReadOnlyList<string> Procedures { get; init; } = ["finetune", "neggrad", "graddiff", "relabel", "scrub", "salun", "leace", "inlp"];
    /// <summary>Intervals along each run: checkpoints at 0, 1/K, …, 1 of the run (K + 1 checkpoints; the issue asks for ≥ 8).</summary>
    public int Checkpoints { get; init; } = 8;
    /// <summary>Optimisation steps of each untuned gradient procedure (a multiple of <see cref="Checkpoints"/>; NegGrad gets at most 96).
    /// A tuned run instead lasts its tuned length rounded up to a multiple of <see cref="Checkpoints"/>.</summary>
    public int Steps { get; init; } = 160;
    /// <summary>Reference (B): full-batch momentum-SGD steps on the retain loss L_r before λ̂ (at most; it stops once the
    /// gradient bias bound is ≤ <see cref="Stationarity.DefaultTolerance"/>).</summary>
    public int ReminimiseSteps { get; init; } = 200;
    /// <summary>Learning rate of the re-minimisation (momentum 0.9, as notebook 06's polish).</summary>
    public double ReminimiseLr { get; init; } = 0.05;
    /// <summary>Also estimate the unrestricted λ̂ on all of D_train (data subset "train").</summary>
    public bool TrainLlc { get; init; } = true;
    /// <summary>Also estimate one weight-restricted λ̂ per linear layer (layer fc1 … fcL).</summary>
    public bool PerLayer { get; init; } = true;
    /// <summary>Quick mode: shorter training, chains and procedures.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="DigitsTask.DefaultSgld"/>). nβ is always set to n_train/ln n_train for every estimate.</summary>
    public SgldOptions? Sgld { get; init; }
    /// <summary>Step-size halvings allowed at the original model (<see cref="StepSizeRule"/>, on D_train at the shared nβ): ε is halved
    /// while the MALA acceptance is below 0.9, at most this many times, and every checkpoint of the cell is sampled at the ε reached (row
    /// <c>sgld_lr</c>). The choice depends on the (data set, forget kind, seed) problem only, so every procedure of a problem gets the
    /// same ε. 0: the ε as given.</summary>
    public int MaxStepSizeHalvings { get; init; } = 2;

    /// <summary>The CI-sized version: a small MLP, one seed, short runs and chains (a smoke test of the protocol, not evidence).</summary>
    /// <remarks>Digits, class forgetting, three procedures (one tuned gradient method, both erasers), no D_train reading, minibatch SGLD
    /// (batch 256) of 2 × 60 draws without MALA: the whole protocol in a few minutes on a shared 2-core machine.</remarks>
    public static UnlearningTrajectoryOptions QuickMode { get; } = new()
    {
        Quick = true, Datasets = ["digits"], ForgetKinds = ["class"], Arch = "mlp:64-16-16-10:relu", Seeds = [0], Steps = 40, ReminimiseSteps = 60, TrainLlc = false,
        Procedures = ["neggrad", "leace", "inlp"],
        Sgld = new SgldOptions { Lr = 5e-5, Localization = 100, Chains = 2, Draws = 60, BurnIn = 60, BatchSize = 256, ComputeMala = false },
    };

    /// <summary>Throws a clear error for settings the protocol cannot run.</summary>
    public void Validate()
    {
        if (Checkpoints < 8) throw new ArgumentException($"Checkpoints must be ≥ 8 (the issue's minimum), got {Checkpoints}.");
        if (Steps < Checkpoints || Steps % Checkpoints != 0) throw new ArgumentException($"Steps ({Steps}) must be a positive multiple of Checkpoints ({Checkpoints}).");
        if (ReminimiseSteps < 0) throw new ArgumentException($"ReminimiseSteps must be ≥ 0, got {ReminimiseSteps}.");
        if (Seeds.Count == 0) throw new ArgumentException("Seeds is empty; give at least one seed.");
        if (Procedures.Count == 0) throw new ArgumentException("Procedures is empty; name at least one.");
        if (Datasets.Count == 0) throw new ArgumentException("Datasets is empty; use digits and/or fashion.");
        if (ForgetKinds.Count == 0) throw new ArgumentException("ForgetKinds is empty; use class and/or random.");
        foreach (var d in Datasets)
            if (d is not ("digits" or "fashion")) throw new ArgumentException($"Unknown data set '{d}' (Datasets); use digits or fashion.");
        foreach (var k in ForgetKinds)
            if (k is not ("class" or "random")) throw new ArgumentException($"Unknown forget kind '{k}' (ForgetKinds); use class or random.");
        foreach (var p in Procedures) _ = UnlearningTrajectoryProcedures.Create(p, this, 0);
    }

    /// <summary>The unlearning problems' settings as the audit names them (digits architecture, forget class, quick mode; the
    /// Fashion-MNIST subsample, architecture and forget fraction are the audit's defaults), for <see cref="AuditTask.Create"/>.</summary>
    public UnlearningAuditOptions TaskOptions => new() { DigitsArch = Arch, ForgetClass = ForgetClass, Quick = Quick };

    /// <summary>The gradient procedures (those that <see cref="Tuned"/> tunes); the erasers are observed by strength or round.</summary>
    public static bool IsGradient(string procedure) => procedure is not ("leace" or "inlp");
}

/// <summary>The procedures of the trajectory protocol with a checkpoint every 1/<see cref="UnlearningTrajectoryOptions.Checkpoints"/> of the run.</summary>
public static class UnlearningTrajectoryProcedures
{
    /// <summary>Every procedure name the protocol knows.</summary>
    public static IReadOnlyList<string> Known { get; } = ["finetune", "neggrad", "graddiff", "relabel", "scrub", "salun", "leace", "inlp"];

    /// <summary>Procedure <paramref name="name"/> with K = <c>o.Checkpoints</c> intervals (K + 1 checkpoints, step 0 the original).
    /// The gradient procedures use the project's untuned defaults (notebook 06's settings; tuning is issue 18 item 2).</summary>
    public static IUnlearningProcedure Create(string name, UnlearningTrajectoryOptions o, long seed) => Create(name, o, seed, null);

    /// <summary>Procedure <paramref name="name"/> as <see cref="Create(string, UnlearningTrajectoryOptions, long)"/>, or — for a gradient
    /// procedure with a <paramref name="tuned"/> point — at the tuned learning rate for the tuned length rounded up to a multiple of K
    /// (so the K + 1 checkpoints stay evenly spaced; at most K − 1 steps beyond the tuned length).</summary>
    public static IUnlearningProcedure Create(string name, UnlearningTrajectoryOptions o, long seed, TuningPoint? tuned)
    {
        ArgumentNullException.ThrowIfNull(o);
        int k = o.Checkpoints;
        if (tuned is not null && UnlearningTrajectoryOptions.IsGradient(name))
        {
            int steps = TunedRunSteps(tuned.Steps, k);
            return ProcedureTuning.Create(name, new UnlearnOptions { Steps = steps, CheckpointEvery = steps / k, Lr = tuned.Lr });
        }
        var u = new UnlearnOptions { Steps = o.Steps, CheckpointEvery = o.Steps / k };
        // Gradient ascent is unbounded (NaN after ≈ 110 steps at lr 1e-3 on the full-mode MLP, notebook 06): at most 96 steps.
        int negSteps = Math.Max(k, Math.Min(o.Steps, 96) / k * k);
        return name switch
        {
            "finetune" or "graddiff" or "relabel" or "scrub" or "salun" => ProcedureRegistry.Create(name, u),
            "neggrad" => ProcedureRegistry.Create(name, u with { Lr = 1e-3, Steps = negSteps, CheckpointEvery = negSteps / k }),
            "leace" or "inlp" => ProcedureRegistry.CreateEraser(name, o.Layer, k, seed),
            _ => throw new ArgumentException($"Unknown procedure '{name}' (Procedures); use {string.Join(", ", Known)}."),
        };
    }

    /// <summary>The tuned length <paramref name="tunedSteps"/> rounded up to a multiple of <paramref name="checkpoints"/>.</summary>
    public static int TunedRunSteps(int tunedSteps, int checkpoints) => Math.Max(1, (tunedSteps + checkpoints - 1) / checkpoints) * checkpoints;
}
