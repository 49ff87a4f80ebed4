using LlcLab.Erasure;
using LlcLab.Sampling;
using LlcLab.Tasks;

namespace LlcLab.Protocols;

/// <summary>Settings of the RQ3 protocol (notebook 05, <see cref="ArchitectureSweepExperiment"/>).</summary>
public sealed record ArchitectureSweepOptions
{
    /// <summary>Architectures (spec strings). <c>mlp:784-…</c> and <c>cnn:fashion:…</c> train on Fashion-MNIST, <c>mlp:64-…</c> and
    /// <c>cnn:digits:…</c> on the digits, transformers on modular addition mod 23 (see <see cref="ArchitectureTask"/>). The default:
    /// four MLP widths and three depths, three CNNs, two transformers.</summary>
    public IReadOnlyList<string> Archs { get; init; } = new[]
    {
        "mlp:784-16-10:relu", "mlp:784-32-10:relu", "mlp:784-64-10:relu", "mlp:784-128-10:relu",
        "mlp:784-32-32-10:relu", "mlp:784-32-32-32-10:relu",
        "cnn:fashion:4:fc16", "cnn:fashion:8:fc32", "cnn:fashion:8-16:fc32",
        "transformer:vocab=24,d=16,heads=2,layers=2,seq=3,out=23", "transformer:vocab=24,d=32,heads=2,layers=2,seq=3,out=23",
    };
    /// <summary>Concept override (null: the task's own, <see cref="ArchitectureTask.Concept"/> — footwear on Fashion-MNIST, parity of the
    /// label on digits and modular addition).</summary>
    public string? Concept { get; init; }
    /// <summary>Training seeds (≥ 5 per architecture in full mode, issue 17).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2, 3, 4 };
    /// <summary>Quick mode (smaller data subsets, shorter training and chains).</summary>
    public bool Quick { get; init; }
    /// <summary>SGLD settings for every architecture (null: <see cref="ArchitectureTask.SgldFor"/> per architecture; in full mode the
    /// Fashion-MNIST MLPs and CNNs use the RQ1 setting — batch 250, γ = 300, 4 × (1,000 + 1,000) — which the calibration found valid,
    /// see <see cref="ArchitectureTask.FashionSgld"/>).</summary>
    public SgldOptions? Sgld { get; init; }
    /// <summary>Also estimate λ̂ right after inserting the eraser (before fine-tuning; usually not a minimum).</summary>
    public bool Inserted { get; init; } = true;
    /// <summary>Fine-tune the erased network until the epoch loss plateaus, at most this many epochs. The number of optimizer steps it
    /// took is the budget the control and the null edit get (exactly).</summary>
    public int FineTuneMaxEpochs { get; init; } = 300;
    /// <summary>Plateau rule: stop when the epoch loss has not improved by a relative <see cref="FineTuneMinRelativeImprovement"/> for this many epochs.</summary>
    public int FineTunePatience { get; init; } = 10;
    /// <summary>Relative improvement that counts as progress in the plateau rule.</summary>
    public double FineTuneMinRelativeImprovement { get; init; } = 0.01;
    /// <summary>Control <c>none-finetuned</c>: the un-erased model through exactly the erased run's optimizer steps (same fine-tuning
    /// steps, same frozen parameters, same number of minimisation steps), separating "erased" from "trained longer".</summary>
    public bool Control { get; init; } = true;
    /// <summary>Matched null edits (of <see cref="NullEdits.Names"/>; empty for none), each built from every layer's LEACE eraser (same
    /// layer and rank): (b) <c>null-oblique</c>, a random oblique map with LEACE's singular values (the same amplification); (c)
    /// <c>null-invertible</c>, an invertible map with those singular values (erases nothing); (a) <c>null-orth</c>, the orthogonal projection
    /// of the same subspace. Each is inserted in the eraser's place and put through the same optimizer steps. One null is not enough: in
    /// RQ1 LEACE exceeded (b) by +4.2 and fell below (c) by −0.9, so the summary's excess is over the null that leaves the least
    /// (<see cref="Analysis.ArchitectureSummary.Excess"/>), with every null's excess beside it.</summary>
    public IReadOnlyList<string> Nulls { get; init; } = [NullEdits.ObliqueName, NullEdits.InvertibleName, NullEdits.OrthogonalName];
    /// <summary>Fine-tune only the parameters downstream of the last erased layer (default), so the erased layers stay concept-free
    /// on the training data (LEACE's guarantee) while the rest re-minimises; the minimisation after it moves every weight.</summary>
    public bool FineTuneDownstreamOnly { get; init; } = true;
    /// <summary>Compute the MALA acceptance of every estimate (part of validity: MALA ≥ 0.9). Minibatch chains score it on the
    /// transitions whose two ends see the same batch (<see cref="MalaObserver"/>), so it is the chain's own acceptance.</summary>
    public bool ComputeMala { get; init; } = true;
    /// <summary>Step-size halvings allowed at w* before the λ̂ "before" (<see cref="ArchitectureSweepCell.ChooseStepSize"/>): while the
    /// MALA acceptance is below <see cref="DiagnosticThresholds.MinMalaAcceptance"/>, ε is halved and the estimate repeated, at most this
    /// many times; the ε reached is used for every estimate of the cell (row <c>sgld_lr</c>). 0: the architecture's ε as given.</summary>
    public int MaxStepSizeHalvings { get; init; } = 2;
    /// <summary>Cap on the full-batch steps that take the trained and the erased model to a minimum (gradient bias bound ≤ 0.25).</summary>
    public int MaxPolishSteps { get; init; } = 2000;
    /// <summary>γ ladder: factors applied to γ for extra estimates (metric <c>llc_gamma</c>, column localization) of the before, erased and
    /// null models, for the seeds in <see cref="GammaLadderSeeds"/>. Empty: none.</summary>
    public IReadOnlyList<double> GammaLadder { get; init; } = new[] { 1.0 / 3, 3.0 };
    /// <summary>The seeds that get the γ ladder (named, not counted, so a sweep cell of one seed decides the same as the whole run).</summary>
    public IReadOnlyList<long> GammaLadderSeeds { get; init; } = new long[] { 0, 1 };

    /// <summary>CI-sized: one Fashion-MNIST MLP and one transformer, one seed, with control, null and a γ ladder on short chains and
    /// small data subsets, no inserted-only estimate. The CNNs run in full mode only (a quick CNN cell took > 5 min on a shared core).</summary>
    public static ArchitectureSweepOptions QuickMode { get; } = new()
    {
        Quick = true, Seeds = new long[] { 0 }, Inserted = false, FineTuneMaxEpochs = 30, FineTunePatience = 3, MaxPolishSteps = 300, GammaLadderSeeds = new long[] { 0 },
        Archs = new[] { "mlp:784-16-10:relu", "transformer:vocab=24,d=8,heads=2,layers=2,seq=3,out=23" },
    };
}
