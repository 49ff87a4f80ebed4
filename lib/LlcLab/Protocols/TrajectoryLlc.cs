using LlcLab.IO;
using LlcLab.Models;
using LlcLab.Sampling;
using LlcLab.Unlearning;
using LlcLab.Analysis;
using static TorchSharp.torch;

namespace LlcLab.Protocols;

/// <summary>
/// Where the LLC is estimated at a mid-run checkpoint w_k of an unlearning run. A checkpoint is generally not a minimum of
/// any loss, while λ̂ = nβ·(E[L] − L(w*)) (Lau et al. 2023, eq. 13) is defined at one, so the protocol reports two readings:
/// </summary>
public enum TrajectoryReference
{
    /// <summary>(A) measure-only: w* = w_k as it is. In the quadratic approximation a gradient g at w* biases λ̂ by at most
    /// (nβ‖g‖)²/2γ (<see cref="Stationarity"/>); that bound is reported beside every estimate (metric <c>llc_checkpoint</c>).</summary>
    Checkpoint,
    /// <summary>(B) re-minimised: w* = w_k after at most <see cref="UnlearningTrajectoryOptions.ReminimiseSteps"/> full-batch
    /// momentum-SGD steps on the retain loss L_r (<see cref="Stationarity.FineTuneToMinimum(Network, Tensor, Tensor, SgldOptions, double, int, double, OptimizerKind, double)"/>,
    /// stopping once the bias bound is ≤ 0.25) — the nearest point downhill on L_r (metric <c>llc_reminimised</c>).</summary>
    Reminimised,
}

/// <summary>The identity columns shared by one checkpoint's rows.</summary>
public sealed record TrajectoryRowKey(string Experiment, string Model, string Procedure, long Seed, long Step);

/// <summary>
/// The λ̂ readings at one checkpoint. Every estimate samples a localized tempered posterior
/// ∝ exp(−nβ·L(w) − γ/2‖w − w*‖²) with <em>one</em> inverse temperature for every row, nβ = n/ln n with n = |D_train|
/// (so rows on different subsets share a temperature and can be compared), γ and ε from the SGLD settings, w* from the
/// <see cref="TrajectoryReference"/>. The rows (metric <c>llc_checkpoint</c> or <c>llc_reminimised</c>; layer, data_subset):
/// <list type="bullet">
/// <item>("all", "train"): L = L_train, the loss the original was trained on (D_f ∪ D_r); every weight moves. The unrestricted LLC.</item>
/// <item>("all", "retain"): L = L_r (data-restricted to D_r; Wang et al. 2024, posterior mode); every weight moves.</item>
/// <item>("fc1" … "fcL", "retain"): L = L_r, weight-restricted to one linear layer (its weight and bias move, every other
///   weight stays frozen at w*; Wang et al. 2024) — the per-layer refined LLC.</item>
/// <item>("all", "forget"): the L_r posterior again, but the loss averaged over draws and at w* is the forget loss L_f
///   (<see cref="DataRestriction.MeasureOnly"/>): nβ·(E_{L_r posterior}[L_f] − L_f(w*)). Sampling the L_f posterior itself would
///   drift: w* is deliberately no minimum of L_f once D_f is unlearned. Its validity and bias bound are those of the L_r posterior it samples.</item>
/// </list>
/// Each λ̂ row has the companions of <see cref="LlcRows.Validity"/> keyed like it; <c>{metric}_grad_bias_bound</c> =
/// (nβ‖∇L(w*)‖)²/2γ with the gradient over the <em>moving</em> weights only (for a layer: that layer's gradient). The sampler
/// diagnostics follow as <c>{metric}_r_hat</c>, <c>_ess</c>, <c>_fraction_below_init_loss</c>, <c>_mala</c> (when computed) and
/// <c>_init_loss</c> (L(w*) of the measured loss).
/// </summary>
public static class TrajectoryLlc
{
    /// <summary>Metric of reference (A).</summary>
    public const string CheckpointMetric = "llc_checkpoint";
    /// <summary>Metric of reference (B).</summary>
    public const string ReminimisedMetric = "llc_reminimised";
    /// <summary>The layer column of a full-network estimate.</summary>
    public const string AllLayers = "all";

    /// <summary>The λ̂ metric of a reference.</summary>
    public static string MetricOf(TrajectoryReference r) => r == TrajectoryReference.Checkpoint ? CheckpointMetric : ReminimisedMetric;

    /// <summary>The linear layers of <paramref name="net"/> in order, "fc1" … "fcL", with the parameter names each owns
    /// (parameters grouped by their module prefix: "0.weight" and "0.bias" are fc1).</summary>
    public static IReadOnlyList<(string Layer, IReadOnlyList<string> Parameters)> Layers(Network net)
    {
        ArgumentNullException.ThrowIfNull(net);
        var groups = new List<(string Prefix, List<string> Names)>();
        foreach (var p in net.ParameterInfos)
        {
            int dot = p.Name.LastIndexOf('.');
            string prefix = dot < 0 ? p.Name : p.Name[..dot];
            if (groups.Count == 0 || groups[^1].Prefix != prefix) groups.Add((prefix, []));
            groups[^1].Names.Add(p.Name);
        }
        return groups.Select((g, i) => ($"fc{i + 1}", (IReadOnlyList<string>)g.Names)).ToList();
    }

    /// <summary>‖∂L/∂θ_i‖² for every parameter tensor θ_i (in <see cref="Network.ParameterInfos"/> order) of the full-batch loss on (x, y).</summary>
    public static double[] GradientSquares(Network net, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(net);
        using var scope = NewDisposeScope();
        var ps = net.ParameterTensors();
        var l = Losses.Compute(Losses.Infer(y), net.Module.call(x), y);
        var grads = TorchSharp.torch.autograd.grad([l], ps.Select(p => (Tensor)p).ToList());
        return grads.Select(g => (double)g.to(ScalarType.Float64).square().sum().item<double>()).ToArray();
    }

    /// <summary>‖∇L‖ over the parameters named in <paramref name="moving"/> (all when null), from <see cref="GradientSquares"/>.</summary>
    public static double GradNorm(Network net, double[] squares, IReadOnlyCollection<string>? moving)
    {
        var names = net.ParameterInfos.Select(p => p.Name).ToList();
        return Math.Sqrt(names.Select((n, i) => moving is null || moving.Contains(n) ? squares[i] : 0).Sum());
    }

    /// <summary>
    /// All λ̂ rows of one checkpoint at reference point <paramref name="wStar"/> (already the (A) or (B) point), see the class summary.
    /// <paramref name="sgld"/> must carry the shared nβ (<see cref="SharedSgld"/>).
    /// </summary>
    public static List<ResultRow> Measure(Network wStar, Tensor trainX, Tensor trainY, UnlearningData data, SgldOptions sgld,
        TrajectoryReference reference, TrajectoryRowKey key, bool trainLlc = true, bool perLayer = true)
    {
        ArgumentNullException.ThrowIfNull(wStar);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(key);
        if (sgld.NBeta is null) throw new ArgumentException("TrajectoryLlc.Measure needs the shared nβ: pass TrajectoryLlc.SharedSgld(sgld, n_train).");
        string metric = MetricOf(reference);
        var rows = new List<ResultRow>();
        var (rx, ry) = (data.Retain.X, data.Retain.Y);
        void Diagnostics(LlcResult r, string layer, string subset)
        {
            var d = r.Diagnostics;
            ResultRow D(string name, double v) => LlcRows.Metric(key.Experiment, key.Model, $"{metric}_{name}", v, key.Procedure, key.Seed, key.Step, layer, subset);
            rows.Add(D("r_hat", d.RHat));
            rows.Add(D("ess", d.Ess));
            rows.Add(D("fraction_below_init_loss", d.FractionBelowInitLoss));
            if (d.MalaAcceptance is { } m) rows.Add(D("mala", m));
            rows.Add(D("init_loss", r.InitLoss));
        }
        void Add(LlcResult r, double gradNorm, string layer, string subset)
        {
            rows.Add(LlcRows.From(r, key.Experiment, key.Model, key.Procedure, key.Seed, key.Step, layer, subset, metric));
            rows.AddRange(LlcRows.Validity(r, gradNorm, key.Experiment, key.Model, key.Procedure, key.Seed, key.Step, layer, subset, metric));
            Diagnostics(r, layer, subset);
        }
        if (trainLlc)
        {
            var g = GradientSquares(wStar, trainX, trainY);
            Add(Llc.Estimate(wStar, trainX, trainY, sgld), GradNorm(wStar, g, null), AllLayers, "train");
        }
        var gr = GradientSquares(wStar, rx, ry);
        double grAll = GradNorm(wStar, gr, null);
        var retain = Llc.EstimateDataRestricted(wStar, trainX, trainY, rx, ry, DataRestriction.Posterior, sgld);
        Add(retain, grAll, AllLayers, "retain");
        if (perLayer)
            foreach (var (layer, names) in Layers(wStar))
                Add(Llc.EstimateWeightRestricted(wStar, rx, ry, names, sgld), GradNorm(wStar, gr, names.ToHashSet()), layer, "retain");
        // The forget reading samples the L_r posterior: its validity is that posterior's (the forget loss at w* may sit on a slope).
        var forget = Llc.EstimateDataRestricted(wStar, rx, ry, data.Forget.X, data.Forget.Y, DataRestriction.MeasureOnly, sgld);
        rows.Add(LlcRows.From(forget, key.Experiment, key.Model, key.Procedure, key.Seed, key.Step, AllLayers, "forget", metric));
        double bound = Stationarity.BiasBound(grAll, retain.NBeta, retain.Options.Localization);
        var verdict = LlcValidity.Check(retain, bound);
        rows.Add(LlcRows.Metric(key.Experiment, key.Model, metric + "_valid", verdict.AtMinimum ? 1 : 0, key.Procedure, key.Seed, key.Step, AllLayers, "forget"));
        rows.Add(LlcRows.Metric(key.Experiment, key.Model, metric + "_grad_bias_bound", bound, key.Procedure, key.Seed, key.Step, AllLayers, "forget"));
        rows.Add(LlcRows.Metric(key.Experiment, key.Model, metric + "_strict_valid", verdict.Valid ? 1 : 0, key.Procedure, key.Seed, key.Step, AllLayers, "forget"));
        Diagnostics(forget, AllLayers, "forget");
        return rows;
    }

    /// <summary><paramref name="sgld"/> with nβ fixed to n/ln n of the training set (<paramref name="nTrain"/> rows), unless it sets nβ itself.</summary>
    public static SgldOptions SharedSgld(SgldOptions sgld, long nTrain)
    {
        ArgumentNullException.ThrowIfNull(sgld);
        return sgld with { NBeta = sgld.ResolveNBeta(nTrain) };
    }
}
