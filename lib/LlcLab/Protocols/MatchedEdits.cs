using LlcLab.Data;
using LlcLab.Erasure;
using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Analysis;
using LlcLab.Tasks;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>How the RQ1/RQ2 protocols edit a layer and re-minimise (<see cref="MatchedEdits"/>).</summary>
public sealed record MatchedEditOptions
{
    /// <summary>Full-batch Adam steps of re-minimisation after inserting an edit — the same budget for the concept eraser and every
    /// null edit (tolerance 0: exactly this many steps), so "how long it was trained" cannot differ between them.</summary>
    public int FineTuneSteps { get; init; } = 300;
    /// <summary>Adam learning rate of the re-minimisation (halved when the gradient stalls, <see cref="Stationarity"/>).</summary>
    public double FineTuneLr { get; init; } = 1e-3;
    /// <summary>Insert the matched null edits (a)–(d) beside the eraser (<see cref="NullEdits"/>).</summary>
    public bool Nulls { get; init; } = true;
    /// <summary>Also re-minimise with the layers below the edit frozen (the concept stays erased), measuring the weight-restricted
    /// λ̂ of the parameters above it (the ones that moved) before and after.</summary>
    public bool Frozen { get; init; } = true;
    /// <summary>Cap on the frozen variant's re-minimisation, which runs to the gradient criterion (bias bound (nβ‖∇L‖)²/2γ ≤ 0.25 on the
    /// parameters above the edit), not for a fixed number of steps. Above an MLP's last hidden layer the moving parameters are the
    /// read-out alone, so the loss is convex in them (softmax regression on fixed features) and its minimiser does not depend on how long
    /// the optimiser ran — the step count cannot confound the comparison, and a fixed 300 steps left every seed off the minimum (RQ1, 10 of
    /// 10 seeds: ‖∇L‖ ≈ 0.08 against 0.011; measured on seed 0, LEACE of footwear: 0.077 after 300 steps, 0.0047 after 1,000). The steps
    /// taken are a row (<c>finetune_steps</c>) and <c>finetune_converged</c> says whether the criterion was met.</summary>
    public int FrozenMaxSteps { get; init; } = 3000;
    /// <summary>A second localization γ′ (10× away from the headline γ) at which every λ̂ is estimated again — the γ-sensitivity of
    /// each ΔLLC. Null: skip.</summary>
    public double? AltLocalization { get; init; }
    /// <summary>ε at γ′ (null: the headline ε).</summary>
    public double? AltLr { get; init; }
}

/// <summary>
/// Matched edits at one layer (issue 17): the LEACE eraser of a concept and its null edits (a) orthogonal projection of the same
/// subspace, (b) random oblique projection with LEACE's singular values, (c) an invertible map with those singular values,
/// (d) a random subspace of the same rank whitened like LEACE (<see cref="NullEdits"/>), all fitted on the training rows only.
/// Each is inserted as a fixed layer (<see cref="Network.WithFixedAffine"/>) into a copy of the base model, re-minimised with the
/// same budget (<see cref="MatchedEditOptions.FineTuneSteps"/>), and measured: λ̂ (at γ and, optionally, γ′) with validity
/// companions, test accuracy, the out-of-sample probe at the layer (<see cref="HeldOutProbe"/>; <c>probe_accuracy_after</c> right after
/// insertion, <c>probe_accuracy</c> after re-minimisation), and the confounds of
/// <see cref="ConfoundRegression"/> (edit_rank, map_norm, loss_increase at insertion, finetune_distance). Procedures are named by
/// the caller: <c>procedure(edit, variant)</c> with edit ∈ {leace, null-orth, null-oblique, null-invertible, null-whitened} and
/// variant ∈ {finetuned, frozen}. The frozen variant's λ̂ is the weight-restricted LLC of the parameters above the layer
/// (metric <c>llc_above</c>, whose "before" the caller adds with <see cref="EstimateAbove"/>).
/// </summary>
public static class MatchedEdits
{
    /// <summary>Edit names in row order: the eraser first, then the nulls (a)–(d).</summary>
    public static IReadOnlyList<string> EditNames { get; } = ["leace", .. NullEdits.Names];

    /// <summary>The metric of the weight-restricted λ̂ of the parameters above the edited layer.</summary>
    public const string AboveMetric = "llc_above";

    /// <summary>Suffix of the metric estimated at the second localization γ′ ("llc" → "llc_alt_gamma").</summary>
    public const string AltSuffix = "_alt_gamma";

    /// <summary>Names of the parameters above <paramref name="layer"/> (the next linear map and everything after it).</summary>
    public static IReadOnlyList<string> ParametersAbove(Network net, string layer)
    {
        ArgumentNullException.ThrowIfNull(net);
        int k = net.LayerIndex(layer);
        // MLP modules are Linear, act, Linear, act, …: hidden layer k is read by module 2k; parameters "{i}.weight" with i ≥ 2k are above it.
        return net.ParameterInfos.Select(p => p.Name).Where(n => int.TryParse(n.Split('.')[0], out int i) && i >= 2 * k).ToList();
    }

    /// <summary>λ̂ (metric <paramref name="metric"/>, restricted to <paramref name="only"/> when given) at the sampler's γ and, if asked,
    /// at γ′, each with validity rows; returns the headline estimate.</summary>
    public static LlcResult Estimate(ResultsTable table, Network net, Dataset train, SgldOptions sgld, MatchedEditOptions o, string experiment,
        string model, string procedure, long seed, long step, string layer, string metric = "llc", IReadOnlyCollection<string>? only = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(o);
        var x = train.X; var y = train.Y;
        LlcResult One(SgldOptions s, string m)
        {
            var r = only is null ? Llc.Estimate(net, x, y, s) : Llc.EstimateWeightRestricted(net, x, y, only, s);
            double g = Stationarity.GradNorm(net, x, y, only);
            table.Add(LlcRows.From(r, experiment, model, procedure, seed, step, layer, metric: m));
            table.AddRange(LlcRows.Validity(r, g, experiment, model, procedure, seed, step, layer, metric: m));
            log?.WriteLine(FormattableString.Invariant(
                $"seed {seed} {procedure,-28} {m,-18} γ {s.Localization,5:G3}  λ̂ {r.Mean,8:F2} ± {r.Std,6:F2}  {LlcValidity.Check(r, Stationarity.BiasBound(g, r.NBeta, s.Localization)).Describe()}"));
            return r;
        }
        var head = One(sgld, metric);
        if (o.AltLocalization is { } g2)
            One(sgld with { Localization = g2, Lr = o.AltLr ?? sgld.Lr }, metric + AltSuffix);
        return head;
    }

    /// <summary>The "before" of the frozen variant: the weight-restricted λ̂ of the parameters above <paramref name="layer"/>.</summary>
    public static void EstimateAbove(ResultsTable table, Network net, Dataset train, SgldOptions sgld, MatchedEditOptions o, string experiment,
        string model, string procedure, long seed, long step, string layer, TextWriter? log = null) =>
        Estimate(table, net, train, sgld, o, experiment, model, procedure, seed, step, layer, AboveMetric, ParametersAbove(net, layer), log);

    /// <summary>
    /// Runs every edit of <paramref name="z"/>'s matched set at <paramref name="layer"/> on <paramref name="task"/>'s base model (which
    /// must already be at a minimum) and adds the rows. <paramref name="zTest"/> labels the test rows for the held-out probe.
    /// </summary>
    public static void Run(ResultsTable table, ConceptTask task, string layer, Tensor z, Tensor zTest, SgldOptions sgld, MatchedEditOptions o,
        string experiment, Func<string, string, string> procedure, long step, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(procedure);
        long seed = task.Seed;
        string arch = task.Arch;
        var train = task.Train;
        using var acts = task.Activations(layer, train.X);
        using var set = NullEdits.Build(acts, z, seed);
        var edits = new List<(string Name, IEraser Edit)> { ("leace", set.Leace) };
        if (o.Nulls) edits.AddRange(set.Nulls.Select(n => (n.Name, (IEraser)n.Edit)));
        var above = ParametersAbove(task.Model, layer);
        foreach (var (name, edit) in edits)
        {
            var (m, c) = edit.AffineForm();
            using var inserted = task.Model.WithFixedAffine(layer, m, c);
            m.Dispose(); c.Dispose();
            double lossIncrease = EditConfounds.LossIncrease(task.Model, inserted, train);
            double mapNorm = EditConfounds.MapNorm(edit);
            using (NewDisposeScope())
            {
                // Right after insertion (what the eraser itself achieves): in and out of the eraser's sample.
                var score = HeldOutProbe.Measure(inserted.Activations(layer, train.X), z, inserted.Activations(layer, task.Test.X), zTest, seed);
                table.AddRange(HeldOutProbe.Rows(score, experiment, arch, "probe_accuracy_after", procedure(name, "finetuned"), seed, step, layer));
            }
            foreach (var variant in o.Frozen ? new[] { "finetuned", "frozen" } : ["finetuned"])
            {
                string proc = procedure(name, variant);
                bool frozen = variant == "frozen";
                using var tuned = inserted.Clone();
                // All layers: exactly the shared budget (tolerance 0). Frozen: to the gradient criterion, capped (see FrozenMaxSteps).
                var ft = frozen
                    ? Stationarity.FineTuneSubset(tuned, train.X, train.Y, sgld, above, maxSteps: o.FrozenMaxSteps, lr: o.FineTuneLr)
                    : Stationarity.FineTuneSubset(tuned, train.X, train.Y, sgld, null, tolerance: 0, maxSteps: o.FineTuneSteps, lr: o.FineTuneLr);
                void Metric(string metric, double v, string? lay = null) => table.Add(LlcRows.Metric(experiment, arch, metric, v, proc, seed, step, lay ?? layer));
                Metric("edit_rank", edit.Rank);
                Metric("map_norm", mapNorm);
                Metric("loss_increase", lossIncrease);
                Metric("finetune_distance", EditConfounds.ParameterDistance(inserted, tuned));
                Metric("finetune_steps", ft.Steps);
                Metric("finetune_grad_norm", ft.GradNormAfter);
                if (frozen) Metric("finetune_converged", ft.Converged ? 1 : 0);
                Metric("test_accuracy", Evaluate.Accuracy(tuned, task.Test));
                if (frozen) Estimate(table, tuned, train, sgld, o, experiment, arch, proc, seed, step, layer, AboveMetric, above, log);
                else Estimate(table, tuned, train, sgld, o, experiment, arch, proc, seed, step, layer, log: log);
                using var scope = NewDisposeScope();
                var score = HeldOutProbe.Measure(tuned.Activations(layer, train.X), z, tuned.Activations(layer, task.Test.X), zTest, seed);
                table.AddRange(HeldOutProbe.Rows(score, experiment, arch, "probe_accuracy", proc, seed, step, layer));
            }
        }
    }
}
