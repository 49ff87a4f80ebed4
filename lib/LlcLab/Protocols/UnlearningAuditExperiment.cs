using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Runtime;
using LlcLab.Sampling;
using LlcLab.Unlearning;
using LlcLab.Analysis;
using LlcLab.Tasks;
using Checkpoint = LlcLab.Unlearning.UnlearningCheckpoint;

namespace LlcLab.Protocols;

/// <summary>Settings of the RQ4 audit (notebook 06); defaults are the full-size experiment.</summary>
public sealed record UnlearningAuditOptions
{
    /// <summary>Data sets: "digits" and/or "fashion".</summary>
    public IReadOnlyList<string> Datasets { get; init; } = ["digits", "fashion"];
    /// <summary>Forget kinds: "class" (one class) and/or "random" (<see cref="ForgetFraction"/> of D_train).</summary>
    public IReadOnlyList<string> ForgetKinds { get; init; } = ["class", "random"];
    /// <summary>Training seeds (one original model per data set and seed).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1, 2, 3, 4];
    /// <summary>The class forgotten under "class".</summary>
    public long ForgetClass { get; init; } = 3;
    /// <summary>The fraction of D_train forgotten under "random".</summary>
    public double ForgetFraction { get; init; } = 0.1;
    /// <summary>The approximate procedures, each tuned (<see cref="ProcedureTuning"/>).</summary>
    public IReadOnlyList<string> Procedures { get; init; } = ["finetune", "neggrad", "graddiff", "relabel", "salun", "scrub"];
    /// <summary>Concept erasers audited beside the gradient procedures (untuned: the full-strength eraser of "is in D_f" at
    /// <see cref="EraserLayer"/>, folded into the next layer): "leace" (Belrose et al. 2023) and/or "inlp" (8 rounds).</summary>
    public IReadOnlyList<string> Erasers { get; init; } = ["leace"];
    /// <summary>The hidden layer the erasers act on.</summary>
    public string EraserLayer { get; init; } = "h1";
    /// <summary>Retrained models besides the reference: the positives of the scoring (the reference is the LLC signals' yardstick, so it is not scored).</summary>
    public int PositiveRetrains { get; init; } = 2;
    /// <summary>Cap on relearning steps (measured at 1-step resolution).</summary>
    public int RelearnMaxSteps { get; init; } = 100;
    /// <summary>Cap on the full-batch SGD steps that bring a model to a minimum of L_r before the LLCs and the Hessian trace.</summary>
    public int MaxPolishSteps { get; init; } = 500;
    /// <summary>Rademacher probes of the Hutchinson trace.</summary>
    public int HutchinsonProbes { get; init; } = 16;
    /// <summary>Relative norm of the perturbation hard negative.</summary>
    public double PerturbNorm { get; init; } = 0.05;
    /// <summary>Digits architecture.</summary>
    public string DigitsArch { get; init; } = "mlp:64-64-64-10:relu";
    /// <summary>Fashion-MNIST architecture.</summary>
    public string FashionArch { get; init; } = "mlp:784-32-32-10:relu";
    /// <summary>Fashion-MNIST training rows (stratified subsample of the 60,000).</summary>
    public int FashionTrain { get; init; } = 3000;
    /// <summary>Fashion-MNIST held-out rows (half validation, half test).</summary>
    public int FashionTest { get; init; } = 1000;
    /// <summary>Adam epochs of the Fashion-MNIST original (and of its retrains).</summary>
    public int FashionEpochs { get; init; } = 60;
    /// <summary>Quick mode: shorter training, chains and grids.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="DigitsTask.DefaultSgld"/>, full batch; ε then follows <see cref="MaxStepSizeHalvings"/>).</summary>
    public SgldOptions? Sgld { get; init; }
    /// <summary>Step-size halvings allowed at the original model (<see cref="StepSizeRule"/>): its λ̂ on D_r is estimated at the given ε and
    /// ε halved while the MALA acceptance is below 0.9, at most this many times; every model of the cell is then sampled at the ε reached
    /// (row <c>sgld_lr</c>). The digits ε is not calibrated for the Fashion-MNIST subset (n = 3,000: nβ ≈ 375 against 198), so the rule
    /// decides there. 0: the ε as given.</summary>
    public int MaxStepSizeHalvings { get; init; } = 2;

    /// <summary>The CI-sized version: digits, class forgetting, one seed, two procedures with two learning rates each, short chains
    /// without the MALA diagnostic — a smoke test of the pipeline (9 models), not evidence.</summary>
    public static UnlearningAuditOptions QuickMode { get; } = new()
    {
        Quick = true, Datasets = ["digits"], ForgetKinds = ["class"], Seeds = [0], Procedures = ["graddiff", "scrub"], Erasers = [], RelearnMaxSteps = 30,
        MaxPolishSteps = 100, HutchinsonProbes = 2, Sgld = DigitsTask.DefaultSgld(true) with { Draws = 100, BurnIn = 100, ComputeMala = false },
    };
}

/// <summary>
/// RQ4 as an audit: can an LLC-based signal tell an unlearned model from one that only looks unlearned? For every data set,
/// forget kind and seed: train the original; retrain from scratch on D_r (one <em>reference</em> retrain plus
/// <see cref="UnlearningAuditOptions.PositiveRetrains"/> more, other init seeds); tune every approximate procedure on the validation
/// split (<see cref="ProcedureTuning"/>); build the <see cref="HardNegatives"/> (targets: the reference retrain's forget accuracy).
/// Every model ("original", "retrain", "retrain-k", the procedures, "hn-…") is then measured the same way:
/// <list type="number">
/// <item>behaviour of its own weights: <c>accuracy</c> and <c>loss</c> on forget (UA) / retain (RA) / test (TA) / validation;
///   <c>mia_auc</c> (loss threshold, forget_vs_test), <c>mia_efficacy</c> (SalUn's SVC confidence attack, forget);
///   <c>relearn_steps</c> at 1-step resolution (forget); and <c>{metric}_gap_to_retrain</c> against the reference retrain;</item>
/// <item>trivial signals of its own weights: <c>weight_distance</c> ‖w − w_original‖, <c>kl_forget</c> KL(original ‖ model) on D_f,
///   <c>retain_grad_norm</c> ‖∇L_r‖, <c>opt_steps</c> (optimiser steps the procedure took);</item>
/// <item>re-minimisation on D_r (full-batch SGD, capped; <c>polish_steps</c>, a trivial signal too) — λ̂ is defined at a minimum of
///   the sampled loss, and an unlearned model should sit at one of L_r — then at that point: <c>hessian_trace</c> of L_r
///   (Hutchinson), and the LLCs, all sampling the localized posterior of <b>L_r</b> around the re-minimised weights:
///   <c>llc</c>/retain (all weights), <c>llc</c>/retain per layer (weight-restricted, Wang et al. 2024: only that layer's weights
///   move, <see cref="LlcMetric.LayerGroups"/>), and <c>llc_forget</c>/forget = nβ·(E[L_f] − L_f(w*)) along the same chains
///   (<see cref="DataRestriction.MeasureOnly"/>, the same sampler seed, so λ̂_f − λ̂_r is a paired difference). Each λ̂ row has
///   <c>…_valid</c> companions.</item>
/// </list>
/// Tuning rows: <c>tune_accuracy</c> (lr, step; forget/retain/validation) for every grid point; <c>tuned_lr</c>, <c>tuned_steps</c>,
/// <c>tuning_feasible</c> (1 when RA and VA got within 2 points of retrain). Scoring the signals is <see cref="UnlearningSignals"/>.
/// Rows: Model = the task ("digits/class", …), Procedure = the model's name.
/// </summary>
public static class UnlearningAuditExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq4-unlearning-audit";
    /// <summary>The reference retrain (the LLC signals' yardstick, not scored) and the original.</summary>
    public const string Reference = "retrain", Original = "original";

    /// <summary>Runs the protocol.</summary>
    public static ExperimentResult Run(UnlearningAuditOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new UnlearningAuditOptions();
        if (o.PositiveRetrains < 1) throw new ArgumentException($"PositiveRetrains must be ≥ 1 (got {o.PositiveRetrains}): the retrains are the positives of the scoring.");
        foreach (var e in o.Erasers) _ = Eraser(e, o, 0);
        var table = new ResultsTable();
        foreach (var dataset in o.Datasets)
            foreach (var kind in o.ForgetKinds)
                foreach (var seed in o.Seeds)
                    RunCell(dataset, kind, seed, o, table, log);
        return new ExperimentResult(Name, table);
    }

    /// <summary>One (data set, forget kind, seed) cell of the audit: every stage of <see cref="UnlearningAuditCell"/> in order
    /// (<see cref="UnlearningAuditCell.RunAll"/>), rows appended to <paramref name="table"/>.</summary>
    public static void RunCell(string dataset, string kind, long seed, UnlearningAuditOptions o, ResultsTable table, TextWriter? log)
    {
        using var cell = UnlearningAuditCell.Create(dataset, kind, seed, o, table, log);
        cell.RunAll();
    }

    /// <summary>The eraser procedure <paramref name="name"/> of <see cref="UnlearningAuditOptions.Erasers"/> (<see cref="ProcedureRegistry.CreateEraser"/>):
    /// leace with one strength step (checkpoints t = 0, 1), inlp with 8 rounds, at <see cref="UnlearningAuditOptions.EraserLayer"/>.</summary>
    public static IUnlearningProcedure Eraser(string name, UnlearningAuditOptions o, long seed)
    {
        ArgumentNullException.ThrowIfNull(o);
        return name switch
        {
            "leace" => ProcedureRegistry.CreateEraser(name, o.EraserLayer, steps: 1, seed),
            "inlp" => ProcedureRegistry.CreateEraser(name, o.EraserLayer, steps: 8, seed),
            _ => throw new ArgumentException($"Unknown eraser '{name}' (Erasers); use leace or inlp."),
        };
    }
}
