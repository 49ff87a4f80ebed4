using LlcLab.Models;
using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Unlearning;

/// <summary>
/// SalUn's "MIA-efficacy" (Fan et al. 2024, following Jia et al. 2023 "Model sparsity can simplify machine unlearning"): an
/// RBF <see cref="RbfSvc"/> (C = 3, γ = 1/features) is trained to tell members from non-members by the model's
/// <b>confidence</b> p(y | x) on the true label — members: a shadow-train set of |shadow-test| retain rows (here a seeded random
/// subset of D_r; the authors take the first rows), non-members: the held-out test set — and then applied to the forget set.
/// MIA-efficacy = the fraction of D_f predicted <em>non-member</em>: high after unlearning (retrain's value is the target), low
/// for the original model. Metric <c>mia_efficacy</c>, data_subset <c>forget</c>; beside the exact loss-threshold AUC
/// (<see cref="MembershipInferenceMetric"/>), which needs no classifier.
/// </summary>
public sealed class SvcMembershipInferenceMetric : ICheckpointMetric
{
    /// <summary>The SVC's C (SalUn's value).</summary>
    public const double C = 3.0;

    public string Name => "svc_membership_inference";

    public IEnumerable<MetricValue> Evaluate(CheckpointContext c)
    {
        var test = c.Data.RequireTest("The SVC membership attack");
        yield return new MetricValue("mia_efficacy", Efficacy(c.Model, c.Data.Retain, test, c.Data.Forget, c.Seed)) { DataSubset = "forget" };
    }

    /// <summary>Fraction of <paramref name="forget"/> rows the attack trained on (<paramref name="retain"/> subset = member,
    /// <paramref name="test"/> = non-member) calls non-members.</summary>
    public static double Efficacy(Network model, LabelledSubset retain, LabelledSubset test, LabelledSubset forget, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        long m = Math.Min(test.Count, retain.Count);
        long[] rows;
        using (var g = Seeding.Generator(Seeding.Derive(seed, 509)))
            rows = randperm(retain.Count, generator: g).narrow(0, 0, m).data<long>().ToArray();
        var shadowIn = Confidence(model, retain.Take(rows));
        var shadowOut = Confidence(model, test);
        var svc = RbfSvc.Fit(shadowIn.Concat(shadowOut).Select(v => new[] { v }).ToList(),
            shadowIn.Select(_ => true).Concat(shadowOut.Select(_ => false)).ToList(), C);
        var target = Confidence(model, forget);
        return target.Count(v => !svc.Predict([v])) / (double)target.Length;
    }

    /// <summary>p(y | x) of the true label per row (softmax of the logits).</summary>
    public static double[] Confidence(Network model, LabelledSubset set)
    {
        using var scope = NewDisposeScope();
        var p = nn.functional.softmax(model.Forward(set.X), 1);
        return p.gather(1, set.Y.to(p.device).unsqueeze(1)).squeeze(1).to(float64).cpu().data<double>().ToArray();
    }
}
