using System.Globalization;
using System.Text;
using LlcLab.Models;
using TorchSharp;

namespace LlcLab.Sampling;

/// <summary>One cell of a calibration sweep (tidy: one row per ε × γ × nβ).</summary>
public sealed record CalibrationRow(
    double Lr, double Localization, double NBeta,
    double LlcMean, double LlcStd, double? MalaAcceptance, double FractionBelowInitLoss, double RHat,
    bool Diverged, string? Error, double ElapsedSeconds)
{
    /// <summary>Finite, positive, not diverged, chains agree (R̂ ≤ 1.1) and MALA acceptance ≥ 0.9 when computed.</summary>
    public bool Stable => !Diverged && double.IsFinite(LlcMean) && LlcMean > 0 && (!double.IsFinite(RHat) || RHat <= 1.1)
                          && (MalaAcceptance is null || MalaAcceptance >= 0.9);
}

/// <summary>
/// A sweep over step size ε × localization γ (× nβ): a tidy table, heatmap-ready grids and a recommended setting.
/// Rule (Lau et al. 2023 §5 practice, made explicit): among stable cells (see <see cref="CalibrationRow.Stable"/>), a
/// cell is <em>flat</em> when its λ̂ agrees within 10% (or two standard errors, whichever is larger) with the λ̂ at the
/// next smaller ε for the same γ and nβ; recommend the largest flat ε, ties broken by the smallest γ (least
/// localization bias), then the largest nβ.
/// </summary>
public sealed record CalibrationResult(IReadOnlyList<CalibrationRow> Rows, IReadOnlyList<double> Lrs,
    IReadOnlyList<double> Localizations, IReadOnlyList<double> NBetas, CalibrationRow? Recommended, string Rule)
{
    /// <summary>A [ε, γ] grid of one metric (<c>llc</c>, <c>std</c>, <c>mala</c>, <c>below</c>, <c>rhat</c>) at one nβ
    /// (default: the first), rows = <see cref="Lrs"/>, columns = <see cref="Localizations"/>; NaN where missing.</summary>
    public double[,] Grid(string metric, double? nBeta = null)
    {
        double nb = nBeta ?? NBetas[0];
        var g = new double[Lrs.Count, Localizations.Count];
        for (int i = 0; i < Lrs.Count; i++)
            for (int j = 0; j < Localizations.Count; j++)
            {
                var r = Rows.FirstOrDefault(r => r.Lr == Lrs[i] && r.Localization == Localizations[j] && r.NBeta == nb);
                g[i, j] = r is null ? double.NaN : metric.ToLowerInvariant() switch
                {
                    "llc" => r.LlcMean,
                    "std" => r.LlcStd,
                    "mala" => r.MalaAcceptance ?? double.NaN,
                    "below" => r.FractionBelowInitLoss,
                    "rhat" => r.RHat,
                    _ => throw new ArgumentException($"Unknown metric '{metric}'. Use llc, std, mala, below or rhat."),
                };
            }
        return g;
    }

    /// <summary>The table as CSV (one row per cell).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("lr,localization,nbeta,llc_mean,llc_std,mala_acceptance,fraction_below_init_loss,r_hat,diverged,stable,recommended,elapsed_s\n");
        var ci = CultureInfo.InvariantCulture;
        foreach (var r in Rows)
            sb.AppendLine(string.Join(",", new[]
            {
                r.Lr.ToString("R", ci), r.Localization.ToString("R", ci), r.NBeta.ToString("R", ci), r.LlcMean.ToString("R", ci),
                r.LlcStd.ToString("R", ci), r.MalaAcceptance?.ToString("R", ci) ?? "", r.FractionBelowInitLoss.ToString("R", ci),
                r.RHat.ToString("R", ci), r.Diverged ? "true" : "false", r.Stable ? "true" : "false",
                ReferenceEquals(r, Recommended) ? "true" : "false", r.ElapsedSeconds.ToString("F3", ci),
            }));
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> atomically (temp file + rename).</summary>
    public void WriteCsv(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, ToCsv());
        File.Move(tmp, full, overwrite: true);
    }
}

/// <summary>Hyperparameter calibration sweeps for the LLC estimator.</summary>
public static class Calibration
{
    public const string RuleText =
        "largest stable ε (no divergence, λ̂ > 0, split-R̂ ≤ 1.1, MALA ≥ 0.9) whose λ̂ is within max(10%, 2 s.e.) of λ̂ at the next smaller ε (same γ, nβ); ties → smallest γ, then largest nβ";

    /// <summary>Runs <see cref="Llc.Estimate(Network, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, SgldOptions?, IEnumerable{ISamplerObserver}?, LossKind?, bool)"/>
    /// for every ε × γ (× nβ) with the other settings from <paramref name="options"/>. Diverged cells are recorded, not thrown.</summary>
    public static CalibrationResult Sweep(Network model, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs, IEnumerable<double> localizations,
        SgldOptions? options = null, IEnumerable<double>? nBetas = null, LossKind? loss = null)
    {
        var o = options ?? new SgldOptions();
        var lrList = lrs.Distinct().OrderBy(v => v).ToList();
        var gList = localizations.Distinct().OrderBy(v => v).ToList();
        if (lrList.Count == 0 || gList.Count == 0) throw new ArgumentException("Give at least one step size and one localization to sweep.");
        var nbList = (nBetas ?? [o.ResolveNBeta(x.shape[0])]).Distinct().OrderBy(v => v).ToList();
        var rows = new List<CalibrationRow>();
        foreach (var nb in nbList)
            foreach (var g in gList)
                foreach (var lr in lrList)
                {
                    var oo = o with { Lr = lr, Localization = g, NBeta = nb };
                    try
                    {
                        var r = Llc.Estimate(model, x, y, oo, loss: loss);
                        rows.Add(new CalibrationRow(lr, g, nb, r.Mean, r.Std, r.Diagnostics.MalaAcceptance, r.Diagnostics.FractionBelowInitLoss,
                            r.Diagnostics.RHat, false, null, r.ElapsedSeconds));
                    }
                    catch (SamplerDivergedException e)
                    {
                        rows.Add(new CalibrationRow(lr, g, nb, double.NaN, double.NaN, null, double.NaN, double.NaN, true, e.Message, 0));
                    }
                }
        return new CalibrationResult(rows, lrList, gList, nbList, Recommend(rows, o.Chains), RuleText);
    }

    internal static CalibrationRow? Recommend(IReadOnlyList<CalibrationRow> rows, int chains)
    {
        CalibrationRow? best = null;
        foreach (var group in rows.GroupBy(r => (r.Localization, r.NBeta)))
        {
            var ordered = group.OrderBy(r => r.Lr).ToList();
            for (int i = 1; i < ordered.Count; i++)
            {
                var (prev, cur) = (ordered[i - 1], ordered[i]);
                if (!prev.Stable || !cur.Stable) continue;
                double se = Math.Sqrt((prev.LlcStd * prev.LlcStd + cur.LlcStd * cur.LlcStd) / Math.Max(chains, 1));
                double tol = Math.Max(0.1 * Math.Abs(prev.LlcMean), 2 * se);
                if (Math.Abs(cur.LlcMean - prev.LlcMean) > tol) continue;
                if (best is null || cur.Lr > best.Lr || (cur.Lr == best.Lr && (cur.Localization < best.Localization ||
                    (cur.Localization == best.Localization && cur.NBeta > best.NBeta))))
                    best = cur;
            }
        }
        // With a single stable ε per group there is no flatness evidence: fall back to the smallest stable ε.
        return best ?? rows.Where(r => r.Stable).OrderBy(r => r.Lr).ThenBy(r => r.Localization).FirstOrDefault();
    }
}
