using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Covariance estimator for Σ_XX.</summary>
public enum Shrinkage
{
    /// <summary>The unbiased sample covariance M/(n − 1) (exact LEACE, Belrose et al. 2023 Thm 4.1).</summary>
    None,
    /// <summary>Oracle Approximating Shrinkage toward (tr S / d)·I (Chen, Wiesel, Eldar &amp; Hero 2010, eq. 23).</summary>
    Oas,
    /// <summary>Distribution-free optimal linear shrinkage toward (tr S / d)·I (Bodnar, Gupta &amp; Parolya 2014,
    /// arXiv 1308.2608) — the estimator concept-erasure uses by default.</summary>
    OptimalLinear,
}

/// <summary>Shrinkage estimators of a covariance matrix from its maximum-likelihood estimate S = M/n.</summary>
public static class CovarianceShrinkage
{
    /// <summary>
    /// Applies <paramref name="kind"/> to the MLE covariance <paramref name="s"/> (d×d, float64) of
    /// <paramref name="n"/> samples. With F = (tr S / d)·I:
    /// OAS: ρ = min(1, ((1 − 2/d)·tr(S²) + tr²(S)) / ((n + 1 − 2/d)·(tr(S²) − tr²(S)/d))), Σ̂ = (1 − ρ)S + ρF.
    /// Optimal linear (BGP 2014): α = 1 − (tr²(S)·‖F‖²/n) / (‖S‖²‖F‖² − tr²(SF)), β = (1 − α)·tr(SF)/‖F‖², Σ̂ = αS + βF.
    /// <see cref="Shrinkage.None"/> returns the unbiased estimate S·n/(n − 1).
    /// </summary>
    public static Tensor Apply(Tensor s, long n, Shrinkage kind)
    {
        if (n < 2) throw new InvalidOperationException($"A covariance needs at least 2 samples; the fitter has seen {n}. Call Update with more rows.");
        long d = s.shape[0];
        using var scope = NewDisposeScope();
        double tr = s.trace().item<double>();
        double tr2 = s.Squared().sum().item<double>(); // tr(S²) = ‖S‖_F² for symmetric S
        var eye = torch.eye(d, dtype: s.dtype, device: s.device);
        Tensor result;
        switch (kind)
        {
            case Shrinkage.None:
                result = s * (n / (double)(n - 1));
                break;
            case Shrinkage.Oas:
            {
                double num = (1 - 2.0 / d) * tr2 + tr * tr;
                double den = (n + 1 - 2.0 / d) * (tr2 - tr * tr / d);
                double rho = den <= 0 ? 1.0 : Math.Min(1.0, num / den);
                result = s * (1 - rho) + eye * (rho * tr / d);
                break;
            }
            case Shrinkage.OptimalLinear:
            {
                double mu = tr / d;
                double f2 = mu * mu * d;          // ‖F‖_F²
                double trSF = mu * tr;             // tr(S F)
                double bottom = tr2 * f2 - trSF * trSF;
                double alpha = bottom <= 0 ? 0.0 : 1 - tr * tr * f2 / n / bottom;
                alpha = Math.Clamp(alpha, 0.0, 1.0);
                double beta = (1 - alpha) * trSF / f2;
                result = s * alpha + eye * (beta * mu);
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
        return result.MoveToOuterDisposeScope();
    }
}
