using System.Globalization;
using System.Text;
using LlcLab.IO;
using LlcLab.Models;
using TorchSharp;

namespace LlcLab.Sampling;

/// <summary>One (model, ε, γ, nβ) cell of a calibration sweep; <see cref="Result"/> is null when the chains diverged.</summary>
public sealed record SweepCell(string Model, double Lr, double Localization, double NBeta, LlcResult? Result, string? Failure)
{
    /// <summary>Mean λ̂ (NaN when diverged).</summary>
    public double Llc => Result?.Mean ?? double.NaN;
    /// <summary>Std of λ̂ across chains.</summary>
    public double Std => Result?.Std ?? double.NaN;
    /// <summary>Mean MALA acceptance probability (NaN when not computed or diverged).</summary>
    public double Mala => Result?.Diagnostics.MalaAcceptance ?? double.NaN;
    /// <summary>Fraction of draws whose loss fell below L(w*) (still-training indicator).</summary>
    public double FractionBelow => Result?.Diagnostics.FractionBelowInitLoss ?? double.NaN;
    /// <summary>Split-R̂ across chains.</summary>
    public double RHat => Result?.Diagnostics.RHat ?? double.NaN;
    /// <summary>True when the chains diverged.</summary>
    public bool Diverged => Result is null;
    /// <summary>Stable under <see cref="Calibration.RuleText"/>: not diverged, at a minimum (λ̂ &gt; 0, few draws below L(w*)),
    /// chains agree (R̂) and MALA acceptance high enough — every limit from <see cref="DiagnosticThresholds"/>.</summary>
    public bool Stable => Result is { } r && DiagnosticThresholds.AtMinimum(r) && DiagnosticThresholds.RHatOk(r.Diagnostics.RHat)
                          && DiagnosticThresholds.MalaOk(r.Diagnostics.MalaAcceptance);
}

/// <summary>A setting chosen by the calibration rule.</summary>
public sealed record CalibrationSetting(double Lr, double Localization, double NBeta);

/// <summary>A sweep over models × ε × γ (× nβ): tidy cells, heatmap grids and the setting the rule recommends (null
/// when no cell qualifies).</summary>
public sealed record SweepResult(IReadOnlyList<SweepCell> Cells, CalibrationSetting? Recommended, string Rule)
{
    /// <summary>Swept step sizes, ascending.</summary>
    public IReadOnlyList<double> Lrs => Cells.Select(c => c.Lr).Distinct().Order().ToList();
    /// <summary>Swept localizations, ascending.</summary>
    public IReadOnlyList<double> Localizations => Cells.Select(c => c.Localization).Distinct().Order().ToList();
    /// <summary>Swept nβ, ascending.</summary>
    public IReadOnlyList<double> NBetas => Cells.Select(c => c.NBeta).Distinct().Order().ToList();
    /// <summary>Models, in sweep order.</summary>
    public IReadOnlyList<string> Models => Cells.Select(c => c.Model).Distinct().ToList();

    /// <summary>The cell of <paramref name="model"/> at (ε, γ) and nβ (null → the only/first nβ), or null.</summary>
    public SweepCell? Cell(string model, double lr, double localization, double? nBeta = null) =>
        Cells.FirstOrDefault(c => c.Model == model && c.Lr == lr && c.Localization == localization && c.NBeta == (nBeta ?? NBetas[0]));

    /// <summary>Whether (ε, γ, nβ) passes the rule on every model (stable and flat in ε).</summary>
    public bool Acceptable(double lr, double localization, double? nBeta = null) =>
        Calibration.Acceptable(Cells, lr, localization, nBeta ?? NBetas[0]);

    /// <summary>A [ε, γ] grid of one metric (<c>llc</c>, <c>std</c>, <c>mala</c>, <c>below</c>, <c>rhat</c>) for one model
    /// (default: the first) at one nβ (default: the first); rows = <see cref="Lrs"/>, columns = <see cref="Localizations"/>;
    /// NaN where missing or diverged.</summary>
    public double[,] Grid(string metric, string? model = null, double? nBeta = null)
    {
        var lrs = Lrs; var gs = Localizations;
        var g = new double[lrs.Count, gs.Count];
        for (int i = 0; i < lrs.Count; i++)
            for (int j = 0; j < gs.Count; j++)
            {
                var c = Cell(model ?? Models[0], lrs[i], gs[j], nBeta);
                g[i, j] = c is null ? double.NaN : metric.ToLowerInvariant() switch
                {
                    "llc" => c.Llc,
                    "std" => c.Std,
                    "mala" => c.Mala,
                    "below" => c.FractionBelow,
                    "rhat" => c.RHat,
                    _ => throw new ArgumentException($"Unknown metric '{metric}'. Use llc, std, mala, below or rhat."),
                };
            }
        return g;
    }

    /// <summary>The cells as CSV (one row per cell).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("model,lr,localization,nbeta,llc_mean,llc_std,mala_acceptance,fraction_below_init_loss,r_hat,diverged,stable,recommended,elapsed_s\n");
        var ci = CultureInfo.InvariantCulture;
        foreach (var c in Cells)
        {
            bool rec = Recommended is { } r && r.Lr == c.Lr && r.Localization == c.Localization && r.NBeta == c.NBeta;
            sb.AppendLine(string.Join(",", new[]
            {
                c.Model, c.Lr.ToString("R", ci), c.Localization.ToString("R", ci), c.NBeta.ToString("R", ci), c.Llc.ToString("R", ci),
                c.Std.ToString("R", ci), double.IsNaN(c.Mala) ? "" : c.Mala.ToString("R", ci), c.FractionBelow.ToString("R", ci),
                c.RHat.ToString("R", ci), c.Diverged ? "true" : "false", c.Stable ? "true" : "false", rec ? "true" : "false",
                (c.Result?.ElapsedSeconds ?? 0).ToString("F3", ci),
            }));
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> atomically (<see cref="AtomicFile"/>).</summary>
    public void WriteCsv(string path)
    {
        AtomicFile.WriteAllText(path, ToCsv());
    }
}

/// <summary>
/// The one calibration of the LLC sampler: an ε × γ (× nβ) sweep over one or several models that will be compared with
/// one setting (e.g. a trained network and its erased, re-minimised version), and one rule (<see cref="RuleText"/>):
/// devinterp's practice — MALA acceptance high and λ̂ flat in ε — made explicit, with every limit from
/// <see cref="DiagnosticThresholds"/> and required on every model. With minibatches the MALA ratio is
/// scored only on transitions whose two ends see the same batch (<see cref="MalaObserver"/>), so minibatch cells are scored like
/// full-batch ones.
/// </summary>
public static class Calibration
{
    /// <summary>The recommendation rule, stated so a reader can check it against the heatmaps.</summary>
    public static readonly string RuleText = FormattableString.Invariant(
        $"A setting (ε, γ, nβ) is acceptable when, on every model, the cell and the cell at the next smaller ε are stable — no divergence, λ̂ > 0, ") +
        FormattableString.Invariant($"at most {DiagnosticThresholds.MaxFractionBelowFullBatch:P0} of draws below L(w*) ({DiagnosticThresholds.MaxFractionBelowMinibatch:P0} with minibatches), ") +
        FormattableString.Invariant($"split-R̂ ≤ {DiagnosticThresholds.MaxRHat}, MALA acceptance ≥ {DiagnosticThresholds.MinMalaAcceptance} — and λ̂ is within ") +
        FormattableString.Invariant($"max({DiagnosticThresholds.FlatnessRelativeTolerance:P0}, {DiagnosticThresholds.FlatnessStandardErrors} standard errors) of λ̂ at the next smaller ε ") +
        "(flat in ε; the smallest ε has no such evidence). Recommend the largest acceptable ε (fastest mixing), ties broken by the smallest γ " +
        "(least localization bias), then the largest nβ.";

    /// <summary>
    /// Runs <see cref="Llc.Estimate(Network, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, SgldOptions?, IEnumerable{ISamplerObserver}?, LossKind?, bool)"/>
    /// on every model for every ε × γ (× nβ, default: n/ln n), with the other settings from <paramref name="options"/> and
    /// MALA on. Diverged cells are recorded, not thrown.
    /// </summary>
    public static SweepResult Sweep(IReadOnlyList<(string Name, Network Model)> models, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs,
        IEnumerable<double> localizations, SgldOptions? options = null, IEnumerable<double>? nBetas = null, LossKind? loss = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("Give at least one model to calibrate on.", nameof(models));
        var o = (options ?? new SgldOptions()) with { ComputeMala = true };
        var lrList = lrs.Distinct().Order().ToList();
        var gList = localizations.Distinct().Order().ToList();
        if (lrList.Count == 0 || gList.Count == 0) throw new ArgumentException("Give at least one step size and one localization to sweep.");
        var nbList = (nBetas ?? [o.ResolveNBeta(x.shape[0])]).Distinct().Order().ToList();
        var cells = new List<SweepCell>();
        foreach (var (name, model) in models)
            foreach (var nb in nbList)
                foreach (var g in gList)
                    foreach (var e in lrList)
                    {
                        try { cells.Add(new SweepCell(name, e, g, nb, Llc.Estimate(model, x, y, o with { Lr = e, Localization = g, NBeta = nb }, loss: loss), null)); }
                        catch (SamplerDivergedException ex) { cells.Add(new SweepCell(name, e, g, nb, null, ex.Message)); }
                    }
        return new SweepResult(cells, Recommend(cells), RuleText);
    }

    /// <summary>Single-model sweep (model named <paramref name="name"/>).</summary>
    public static SweepResult Sweep(Network model, torch.Tensor x, torch.Tensor y, IEnumerable<double> lrs, IEnumerable<double> localizations,
        SgldOptions? options = null, IEnumerable<double>? nBetas = null, LossKind? loss = null, string name = "model") =>
        Sweep([(name, model)], x, y, lrs, localizations, options, nBetas, loss);

    /// <summary>Whether (ε, γ, nβ) passes <see cref="RuleText"/> on every model present in <paramref name="cells"/>.</summary>
    public static bool Acceptable(IReadOnlyList<SweepCell> cells, double lr, double localization, double nBeta)
    {
        var models = cells.Select(c => c.Model).Distinct().ToList();
        if (models.Count == 0) return false;
        foreach (var model in models)
        {
            var row = cells.Where(c => c.Model == model && c.Localization == localization && c.NBeta == nBeta).OrderBy(c => c.Lr).ToList();
            int i = row.FindIndex(c => c.Lr == lr);
            if (i <= 0) return false;
            var (prev, cur) = (row[i - 1], row[i]);
            if (!prev.Stable || !cur.Stable) return false;
            int chains = cur.Result!.PerChain.Length;
            double se = Math.Sqrt((prev.Std * prev.Std + cur.Std * cur.Std) / Math.Max(chains, 1));
            if (!DiagnosticThresholds.Flat(prev.Llc, cur.Llc, se)) return false;
        }
        return true;
    }

    /// <summary>Applies <see cref="RuleText"/> to a finished grid: the largest acceptable ε, then the smallest γ, then the largest nβ.</summary>
    public static CalibrationSetting? Recommend(IReadOnlyList<SweepCell> cells) =>
        cells.Select(c => new CalibrationSetting(c.Lr, c.Localization, c.NBeta)).Distinct()
            .Where(k => Acceptable(cells, k.Lr, k.Localization, k.NBeta))
            .OrderByDescending(k => k.Lr).ThenBy(k => k.Localization).ThenByDescending(k => k.NBeta).FirstOrDefault();
}
