using System.Globalization;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// Random relabelling ("RL", Golatkar et al. 2020; Graves et al. 2021 "amnesiac"; the base of SalUn):
/// every forget example gets a fixed random wrong label y′ = (y + r) mod K, r ~ U{1,…,K−1} (private
/// generator), and the model minimises L(w; D_f, y′) + β·L(w; D_r) for <c>Steps − RepairSteps</c>
/// steps, then fine-tunes on D_r alone for <see cref="RepairSteps"/> steps.
/// </summary>
public sealed record RandomRelabel(UnlearnOptions? Options = null, double RetainWeight = 1.0, int RepairSteps = 0) : GradientProcedure(Options)
{
    public override string Name => "relabel";

    /// <summary>The repair phase is the last <see cref="RepairSteps"/> steps, so more steps move it: only a run without one extends.</summary>
    public override bool StepsExtendPrefix => RepairSteps == 0;

    protected override IEnumerable<(string, string)> ExtraHyperparameters() =>
        [("retain_weight", RetainWeight.ToString("R", CultureInfo.InvariantCulture)), ("repair_steps", RepairSteps.ToString(CultureInfo.InvariantCulture))];

    protected override void ValidateExtra()
    {
        if (!(RetainWeight >= 0) || double.IsInfinity(RetainWeight)) throw new ArgumentException($"relabel: RetainWeight must be ≥ 0 (got {RetainWeight}).");
        if (RepairSteps < 0 || RepairSteps > Settings.Steps) throw new ArgumentException($"relabel: RepairSteps must be in [0, Steps = {Settings.Steps}] (got {RepairSteps}).");
    }

    internal override Objective CreateObjective(UnlearnSession s) => RelabelObjective(s, RetainWeight, s.Options.Steps - RepairSteps, null);

    /// <summary>Fixed random wrong labels for D_f: y′ = (y + r) mod K with r ~ U{1,…,K−1}.</summary>
    internal static Tensor WrongLabels(Tensor y, long classes, long seed)
    {
        if (classes < 2) throw new ArgumentException("Random relabelling needs a classifier with at least 2 outputs.");
        using var g = Seeding.Generator(seed);
        using var r = randint(1, classes, [y.shape[0]], generator: g, dtype: ScalarType.Int64);
        return ((y.cpu() + r) % classes).to(y.device).DetachFromDisposeScope();
    }

    internal static Objective RelabelObjective(UnlearnSession s, double retainWeight, int relabelSteps, Action? afterBackward, Action? afterStep = null)
    {
        var wrong = WrongLabels(s.Data.Forget.Y, s.Classes, Seeding.Derive(s.Seed, 103));
        return new Objective
        {
            Loss = t =>
            {
                var (_, xr, yr) = s.NextRetain();
                var retain = CrossEntropy(s.Logits(xr), yr);
                if (t > relabelSteps) return retain;
                var (rows, xf, _) = s.NextForget();
                var yf = wrong.index_select(0, rows.to(wrong.device)).to(s.Device);
                return CrossEntropy(s.Logits(xf), yf) + retainWeight * retain;
            },
            AfterBackward = afterBackward,
            AfterStep = afterStep,
        };
    }
}
