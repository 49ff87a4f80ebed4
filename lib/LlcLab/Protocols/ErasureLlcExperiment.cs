using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Analysis;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>Settings of the RQ1 protocol (notebook 03); defaults are the full-size experiment on Fashion-MNIST.</summary>
public sealed record ErasureLlcOptions
{
    /// <summary>Data set: "fashion-mnist" (default, <see cref="ConceptTask"/>) or "digits" (the fast teaching set).</summary>
    public string Data { get; init; } = ConceptTask.Fashion;
    /// <summary>Network architecture (its input width must match the data: 784 for Fashion-MNIST, 64 for digits).</summary>
    public string Arch { get; init; } = "mlp:784-128-10:relu";
    /// <summary>Concept to erase (Fashion-MNIST: footwear, upper, spurious; digits: parity, ge5, loop, spurious; "label").</summary>
    public string Concept { get; init; } = "footwear";
    /// <summary>Hidden layer whose activations are erased.</summary>
    public string Layer { get; init; } = "h1";
    /// <summary>Erasure strengths t: h ← h − t·(h − r(h)); t = 1 gets the matched null edits, t ∈ (0, 1) only LEACE.</summary>
    public IReadOnlyList<double> Strengths { get; init; } = new[] { 0.0, 0.5, 1.0 };
    /// <summary>Training seeds (one model per seed; intervals are across seeds; ≥ 10 for the headline comparisons).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = Enumerable.Range(0, 10).Select(i => (long)i).ToArray();
    /// <summary>Tolerance of the base model's polish to a minimum: stop when the gradient bias bound (nβ‖g‖)²/2γ ≤ this (λ̂ units; see <see cref="Stationarity"/>).</summary>
    public double MinimumTolerance { get; init; } = Stationarity.DefaultTolerance;
    /// <summary>Cap on full-batch steps of the base model's polish (a run that hits it is reported as not converged).</summary>
    public int MaxFineTuneSteps { get; init; } = 1000;
    /// <summary>The matched edits: re-minimisation budget (the same for every edit), null edits, frozen variant, second γ.</summary>
    public MatchedEditOptions Edits { get; init; } = DefaultEdits(quick: false);
    /// <summary>INLP projections traced one by one (0: skip the INLP trace).</summary>
    public int InlpIterations { get; init; }
    /// <summary>Whether to add weight-restricted (next layer) and data-restricted (concept = 0 / 1) LLCs.</summary>
    public bool Restricted { get; init; }
    /// <summary>Whether to scrub every hidden layer in turn (concept scrubbing), estimating after each.</summary>
    public bool LayerByLayer { get; init; }
    /// <summary>Whether to add the folded eraser (as is and re-minimised with the same budget).</summary>
    public bool Folded { get; init; }
    /// <summary>Quick mode: a small data subset, shorter training and chains.</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings (null: <see cref="ConceptTask.DefaultSgld"/>); the seed is replaced per model.</summary>
    public SgldOptions? Sgld { get; init; }

    /// <summary>The edit settings of the protocols: 300 full-batch re-minimisation steps (quick 60), nulls and frozen variant on,
    /// γ′ = 10γ (Fashion-MNIST's γ = 300 → 3000, ε′ from <see cref="ConceptTask.FashionLr"/>; 10× up rather than down because the
    /// chains relax in 2/(εγ) steps, which at γ/10 would be longer than the chains).</summary>
    public static MatchedEditOptions DefaultEdits(bool quick) => new()
    {
        FineTuneSteps = quick ? 60 : 300, AltLocalization = ConceptTask.FashionLocalization * 10, AltLr = ConceptTask.FashionLr(ConceptTask.FashionLocalization * 10),
    };

    /// <summary>The CI-sized version: 2 seeds, strengths 0, 1, a 2,000-image subset, short chains and re-minimisation, no frozen variant.</summary>
    public static ErasureLlcOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0, 1 }, Strengths = new[] { 0.0, 1.0 }, MaxFineTuneSteps = 300, Edits = DefaultEdits(quick: true) with { Frozen = false },
    };
}

/// <summary>
/// RQ1: how does LEACE change the LLC, and is the change more than any edit of the same size would make? For each seed: train on
/// the data (<see cref="ConceptTask"/>) and polish to a minimum (full batch, stop at the gradient criterion of <see cref="Stationarity"/>)
/// → λ̂ before → fit LEACE on a hidden layer (training rows only) → λ̂ with the eraser inserted as a fixed layer at strengths t ∈ (0, 1]
/// ("during"), as is and after re-minimisation with the eraser held fixed → at t = 1, the matched null edits (a)–(d) of
/// <see cref="MatchedEdits"/> beside LEACE, each re-minimised with the same budget, in two variants (all layers; layers below frozen)
/// → optional folding, restricted LLCs, layer-by-layer scrubbing and INLP.
/// λ̂ is defined only at a local minimum (Lau et al. 2023), so every "llc…" row has companions "llc…_valid" (minimum checks),
/// "llc…_strict_valid" (also R̂ ≤ 1.1 and MALA ≥ 0.9) and "llc…_check_{name}" (<see cref="LlcRows.Validity"/>); with
/// <see cref="MatchedEditOptions.AltLocalization"/> each is repeated at γ′ as "llc…_alt_gamma".
/// Procedures: none (step 0), leace-inserted (raw) and leace-inserted-finetuned (step = 100·t), leace-frozen,
/// {null-orth, null-oblique, null-invertible, null-whitened}-{finetuned, frozen} (step 100), leace-folded(-finetuned), scrubbing, inlp.
/// Frozen variants and "none" carry the weight-restricted λ̂ of the parameters above the layer (<see cref="MatchedEdits.AboveMetric"/>).
/// Every probe metric is out of sample (cross-fitted over the test split with L2 by cross-validation, <see cref="HeldOutProbe"/>), with
/// <c>_chance</c>, <c>_se</c>, <c>_null</c>, <c>_in_sample</c>(<c>_chance</c>, <c>_null</c>) and <c>_leak</c> companions.
/// </summary>
public static class ErasureLlcExperiment
{
    /// <summary>Experiment name in the rows.</summary>
    public const string Name = "rq1-leace-llc";

    /// <summary>The procedure name of an edit/variant at t = 1 (LEACE keeps the stage names of the strength sweep).</summary>
    public static string Procedure(string edit, string variant) => (edit, variant) switch
    {
        ("leace", "finetuned") => "leace-inserted-finetuned",
        ("leace", "frozen") => "leace-frozen",
        _ => $"{edit}-{variant}",
    };

    /// <summary>Runs the protocol: for each seed every stage of <see cref="ErasureLlcSeed"/> the options switch on
    /// (<see cref="ErasureLlcSeed.RunAll"/>); <paramref name="log"/> receives one line per estimate.</summary>
    public static ExperimentResult Run(ErasureLlcOptions? options = null, TextWriter? log = null)
    {
        var o = options ?? new ErasureLlcOptions();
        var table = new ResultsTable();
        foreach (var seed in o.Seeds)
        {
            using var s = ErasureLlcSeed.Create(o, seed, table, log);
            s.RunAll();
        }
        return new ExperimentResult(Name, table);
    }

    internal static string NextLayer(Network net, string layer)
    {
        int k = net.LayerIndex(layer);
        return k < net.LayerNames.Count ? net.LayerNames[k] : "";
    }

    internal static IReadOnlyList<string> NextLinearParameters(Network net, string layer)
    {
        int k = net.LayerIndex(layer);
        return net.ParameterInfos.Select(p => p.Name).Where(n => n == $"{2 * k}.weight" || n == $"{2 * k}.bias").ToList();
    }
}
