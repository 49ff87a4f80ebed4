namespace LlcLab.Unlearning;

/// <summary>
/// A C-support-vector classifier with the RBF kernel K(a, b) = exp(−γ‖a − b‖²) (Cortes &amp; Vapnik 1995), the classifier of
/// SalUn's membership attack (scikit-learn's <c>SVC(C=3, gamma="auto", kernel="rbf")</c>, gamma "auto" = 1 / number of features).
/// Trains the dual min ½αᵀQα − 1ᵀα s.t. 0 ≤ αᵢ ≤ C, yᵀα = 0, Qᵢⱼ = yᵢyⱼKᵢⱼ, by SMO with LIBSVM's second-order working-set
/// selection (Fan, Chen &amp; Lin 2005, WSS 2) to the same stopping tolerance (maximal violation &lt; 10⁻³), on a precomputed
/// kernel matrix (so meant for a few thousand points). Decision f(x) = Σᵢ αᵢyᵢK(xᵢ, x) − ρ; predicted class 1 when f(x) &gt; 0.
/// Deterministic: no randomness (ties in the working-set search go to the lowest index).
/// </summary>
public sealed class RbfSvc
{
    readonly double[][] sv;
    readonly double[] coef; // αᵢyᵢ of the support vectors
    readonly double gamma, rho;

    RbfSvc(double[][] sv, double[] coef, double gamma, double rho) { this.sv = sv; this.coef = coef; this.gamma = gamma; this.rho = rho; }

    /// <summary>Number of support vectors (αᵢ &gt; 0).</summary>
    public int SupportVectors => sv.Length;

    /// <summary>Fits on rows <paramref name="x"/> with labels <paramref name="y"/> (true = class 1). <paramref name="gamma"/> null = 1 / features.</summary>
    public static RbfSvc Fit(IReadOnlyList<double[]> x, IReadOnlyList<bool> y, double c = 3.0, double? gamma = null, double tolerance = 1e-3, int maxIterations = 10_000_000)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int n = x.Count;
        if (n != y.Count) throw new ArgumentException($"The SVC got {n} rows but {y.Count} labels.");
        if (!y.Any(v => v) || y.All(v => v)) throw new ArgumentException("The SVC needs rows of both classes.");
        if (!(c > 0)) throw new ArgumentException($"The SVC's C must be > 0 (got {c}).");
        int d = x[0].Length;
        if (x.Any(r => r.Length != d)) throw new ArgumentException("Every SVC row must have the same number of features.");
        double g = gamma ?? 1.0 / d;
        var k = new double[n][];
        for (int i = 0; i < n; i++)
        {
            k[i] = new double[n];
            for (int j = 0; j <= i; j++) k[i][j] = Kernel(x[i], x[j], g);
        }
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) k[i][j] = k[j][i];
        var s = y.Select(v => v ? 1.0 : -1.0).ToArray();
        var alpha = new double[n];
        var grad = Enumerable.Repeat(-1.0, n).ToArray(); // ∇ = Qα − 1 at α = 0
        bool Up(int t) => s[t] > 0 ? alpha[t] < c : alpha[t] > 0;
        bool Low(int t) => s[t] > 0 ? alpha[t] > 0 : alpha[t] < c;
        const double Tau = 1e-12;
        for (int iter = 0; iter < maxIterations; iter++)
        {
            int i = -1; double gMax = double.NegativeInfinity;
            for (int t = 0; t < n; t++)
                if (Up(t) && -s[t] * grad[t] > gMax) { gMax = -s[t] * grad[t]; i = t; }
            if (i < 0) break;
            int j = -1; double gMin = double.PositiveInfinity, best = double.PositiveInfinity;
            for (int t = 0; t < n; t++)
            {
                if (!Low(t)) continue;
                double v = -s[t] * grad[t];
                if (v < gMin) gMin = v;
                double b = gMax - v;
                if (b <= 0) continue;
                double a = Math.Max(k[i][i] + k[t][t] - 2 * k[i][t], Tau);
                if (-b * b / a < best) { best = -b * b / a; j = t; }
            }
            if (j < 0 || gMax - gMin < tolerance) break;
            double bij = gMax + s[j] * grad[j];
            double aij = Math.Max(k[i][i] + k[j][j] - 2 * k[i][j], Tau);
            // Step t along (Δαᵢ, Δαⱼ) = (yᵢt, −yⱼt), which keeps yᵀα fixed; clipped to the box.
            double limI = s[i] > 0 ? c - alpha[i] : alpha[i];
            double limJ = s[j] > 0 ? alpha[j] : c - alpha[j];
            double step = Math.Min(bij / aij, Math.Min(limI, limJ));
            alpha[i] += s[i] * step;
            alpha[j] -= s[j] * step;
            for (int t = 0; t < n; t++) grad[t] += s[t] * step * (k[t][i] - k[t][j]);
        }
        // ρ = mean of yᵢ∇ᵢ over free support vectors; without free ones, the midpoint of the feasible interval (LIBSVM).
        double sum = 0, ub = double.PositiveInfinity, lb = double.NegativeInfinity; int free = 0;
        for (int t = 0; t < n; t++)
        {
            double yg = s[t] * grad[t];
            if (alpha[t] >= c) { if (s[t] < 0) ub = Math.Min(ub, yg); else lb = Math.Max(lb, yg); }
            else if (alpha[t] <= 0) { if (s[t] > 0) ub = Math.Min(ub, yg); else lb = Math.Max(lb, yg); }
            else { free++; sum += yg; }
        }
        double r = free > 0 ? sum / free : (ub + lb) / 2;
        var idx = Enumerable.Range(0, n).Where(t => alpha[t] > 0).ToArray();
        return new RbfSvc(idx.Select(t => (double[])x[t].Clone()).ToArray(), idx.Select(t => alpha[t] * s[t]).ToArray(), g, r);
    }

    /// <summary>f(x) = Σᵢ αᵢyᵢK(xᵢ, x) − ρ.</summary>
    public double Decision(double[] x)
    {
        double f = -rho;
        for (int i = 0; i < sv.Length; i++) f += coef[i] * Kernel(sv[i], x, gamma);
        return f;
    }

    /// <summary>Class 1 when f(x) &gt; 0.</summary>
    public bool Predict(double[] x) => Decision(x) > 0;

    static double Kernel(double[] a, double[] b, double g)
    {
        double d2 = 0;
        for (int i = 0; i < a.Length; i++) { double t = a[i] - b[i]; d2 += t * t; }
        return Math.Exp(-g * d2);
    }
}
