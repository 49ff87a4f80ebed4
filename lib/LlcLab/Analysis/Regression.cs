using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace LlcLab.Analysis;

/// <summary>One coefficient of an OLS fit.</summary>
/// <param name="Name">Predictor name ("intercept" for the constant).</param>
/// <param name="Estimate">β̂.</param>
/// <param name="StdError">se(β̂) = √(σ̂² [(XᵀX)⁻¹]_jj).</param>
/// <param name="CiLow">β̂ − t_{(1+level)/2, n−p}·se.</param>
/// <param name="CiHigh">β̂ + t·se.</param>
/// <param name="T">β̂/se.</param>
/// <param name="P">Two-sided p-value of H₀: β = 0 under the Student-t reference with n − p degrees of freedom.</param>
public sealed record RegressionTerm(string Name, double Estimate, double StdError, double CiLow, double CiHigh, double T, double P)
{
    /// <summary>The interval excludes zero: the predictor "survives" at the fit's level.</summary>
    public bool ExcludesZero => CiLow > 0 || CiHigh < 0;
}

/// <summary>An ordinary-least-squares fit y = Xβ + e with coefficient confidence intervals.</summary>
/// <param name="Terms">Intercept first, then the predictors kept, in the order given.</param>
/// <param name="N">Observations.</param>
/// <param name="Df">Residual degrees of freedom n − p (p = number of coefficients incl. the intercept).</param>
/// <param name="RSquared">1 − RSS/TSS.</param>
/// <param name="AdjustedRSquared">1 − (1 − R²)(n − 1)/(n − p).</param>
/// <param name="ResidualStd">σ̂ = √(RSS/(n − p)).</param>
/// <param name="Level">Confidence level of the intervals.</param>
/// <param name="Dropped">Predictors left out because they are constant over the data (their effect is not identifiable).</param>
/// <param name="Standardized">Whether predictors were z-scored (coefficients are then per standard deviation of the predictor).</param>
public sealed record RegressionFit(IReadOnlyList<RegressionTerm> Terms, int N, int Df, double RSquared, double AdjustedRSquared,
    double ResidualStd, double Level, IReadOnlyList<string> Dropped, bool Standardized)
{
    /// <summary>The term named <paramref name="name"/>; a clear error lists the names.</summary>
    public RegressionTerm Term(string name) => Terms.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"No term '{name}'; terms: {string.Join(", ", Terms.Select(t => t.Name))}{(Dropped.Count > 0 ? $" (dropped as constant: {string.Join(", ", Dropped)})" : "")}.");

    /// <summary>Predictors (not the intercept) whose interval excludes zero.</summary>
    public IReadOnlyList<string> Survivors => Terms.Skip(1).Where(t => t.ExcludesZero).Select(t => t.Name).ToList();

    /// <summary>A fixed-width table: term, estimate, se, CI, t, p, and whether it survives.</summary>
    public string ToText()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(FormattableString.Invariant($"OLS, n = {N}, df = {Df}, R² = {RSquared:F3} (adjusted {AdjustedRSquared:F3}), σ̂ = {ResidualStd:G3}{(Standardized ? ", predictors z-scored" : "")}"));
        sb.AppendLine($"{"term",-20} {"estimate",10} {"se",9} {$"{Level:P0} CI",-23} {"t",7} {"p",7}");
        foreach (var t in Terms)
            sb.AppendLine(FormattableString.Invariant($"{t.Name,-20} {t.Estimate,10:G4} {t.StdError,9:G3} [{t.CiLow,9:G4}, {t.CiHigh,9:G4}] {t.T,7:F2} {t.P,7:F3}{(t.Name != "intercept" && t.ExcludesZero ? "  survives" : "")}"));
        if (Dropped.Count > 0) sb.AppendLine($"dropped (constant): {string.Join(", ", Dropped)}");
        return sb.ToString();
    }
}

/// <summary>Ordinary least squares with classical (homoscedastic) standard errors, by QR decomposition (MathNet.Numerics).</summary>
public static class Regression
{
    /// <summary>
    /// Fits y = β₀ + Σ_j β_j x_j + e by least squares. Var(β̂) = σ̂²(XᵀX)⁻¹ with σ̂² = RSS/(n − p); intervals
    /// β̂ ± t_{(1+level)/2, n−p}·se. Constant predictors are dropped (listed in <see cref="RegressionFit.Dropped"/>);
    /// exactly collinear ones are an error. With <paramref name="standardize"/> each predictor is z-scored first
    /// (same t, p and survivors; β then means "per standard deviation").
    /// </summary>
    public static RegressionFit Ols(IReadOnlyList<double> y, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> predictors,
        double level = 0.95, bool standardize = false)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(predictors);
        if (level is <= 0 or >= 1) throw new ArgumentException($"Confidence level must be in (0, 1), got {level}.", nameof(level));
        int n = y.Count;
        foreach (var (name, v) in predictors)
            if (v.Count != n) throw new ArgumentException($"Predictor '{name}' has {v.Count} values but y has {n}.");
        if (y.Any(v => !double.IsFinite(v)) || predictors.Any(p => p.Values.Any(v => !double.IsFinite(v))))
            throw new ArgumentException("OLS needs finite values; drop the rows with NaN/∞ first (e.g. invalid estimates).");
        var kept = new List<(string Name, double[] Values)>();
        var dropped = new List<string>();
        foreach (var (name, v) in predictors)
        {
            double mean = v.Average(), sd = Math.Sqrt(v.Sum(a => (a - mean) * (a - mean)) / Math.Max(n - 1, 1));
            if (!(sd > 1e-12 * Math.Max(1, Math.Abs(mean)))) { dropped.Add(name); continue; }
            kept.Add((name, standardize ? v.Select(a => (a - mean) / sd).ToArray() : v.ToArray()));
        }
        int p = kept.Count + 1;
        if (n <= p) throw new ArgumentException($"OLS with {p} coefficients needs more than {p} observations, got {n}.");
        var x = Matrix<double>.Build.Dense(n, p, (i, j) => j == 0 ? 1.0 : kept[j - 1].Values[i]);
        var yv = Vector<double>.Build.DenseOfEnumerable(y);
        var qr = x.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
        var rDiag = Enumerable.Range(0, p).Select(j => Math.Abs(qr.R[j, j])).ToArray();
        double rMax = rDiag.Max();
        for (int j = 1; j < p; j++)
            if (rDiag[j] <= 1e-10 * rMax)
                throw new ArgumentException($"Predictor '{kept[j - 1].Name}' is (almost) a linear combination of the earlier ones; drop one of them.");
        var beta = qr.Solve(yv);
        var resid = yv - x * beta;
        double rss = resid.DotProduct(resid);
        double yMean = yv.Average();
        double tss = yv.Sum(v => (v - yMean) * (v - yMean));
        int df = n - p;
        double sigma2 = rss / df;
        var rInv = qr.R.Inverse();
        var cov = rInv * rInv.Transpose() * sigma2; // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ
        double tq = StudentT.InvCDF(0, 1, df, (1 + level) / 2);
        var names = new[] { "intercept" }.Concat(kept.Select(k => k.Name)).ToArray();
        var terms = new List<RegressionTerm>();
        for (int j = 0; j < p; j++)
        {
            double se = Math.Sqrt(Math.Max(cov[j, j], 0));
            double t = se > 0 ? beta[j] / se : double.NaN;
            double pv = se > 0 ? 2 * (1 - StudentT.CDF(0, 1, df, Math.Abs(t))) : double.NaN;
            terms.Add(new RegressionTerm(names[j], beta[j], se, beta[j] - tq * se, beta[j] + tq * se, t, pv));
        }
        double r2 = tss > 0 ? 1 - rss / tss : double.NaN;
        return new RegressionFit(terms, n, df, r2, 1 - (1 - r2) * (n - 1) / df, Math.Sqrt(sigma2), level, dropped, standardize);
    }
}
