using LlcLab.Runtime;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Streaming fitter for LEACE (Belrose et al. 2023) and its orthogonal (SAL) variant. Each
/// <see cref="Update"/> merges a batch into float64 running moments (Chan et al. pairwise updates, see
/// <see cref="StreamingMoments"/>): μ_x, Σ_XX (LEACE only) and Σ_XZ. <see cref="Eraser"/> computes,
/// from the current statistics:
/// <list type="number">
/// <item>W = (Σ_XX^{1/2})⁺, W⁺ = Σ_XX^{1/2} (eigh, relative eigenvalue tolerance) — or W = W⁺ = I for
/// <see cref="ErasureMethod.Orthogonal"/>;</item>
/// <item>U = left singular vectors of W·Σ_XZ with σᵢ &gt; tol·σ_max (relative tolerance);</item>
/// <item>r(x) = x − W⁺UUᵀW(x − μ) (Thm 4.1, eq. 5 of the paper);</item>
/// <item>optionally (<see cref="LeaceOptions.ConstrainCovTrace"/>) the edit is mixed with the orthogonal projection so that
/// tr Cov(r(x)) ≤ tr Cov(x), as concept-erasure does (<see cref="CovarianceTraceConstraint"/>).</item>
/// </list>
/// In-memory data: <see cref="Leace.Fit(Tensor, Tensor, LeaceOptions?)"/>; data larger than memory: call <see cref="Update"/>
/// per chunk (or <see cref="StreamingErasure"/> for <c>.npy</c> files) and then <see cref="FitEraser"/>.
/// The result is cached until the next update and never aliases the running statistics.
/// </summary>
public sealed class LeaceFitter : IDisposable
{
    readonly StreamingMoments m;
    LeaceEraser? cached;

    public long XDim { get; }
    public int ZDim { get; }
    public LeaceOptions Options { get; }
    public Device Device { get; }

    /// <summary>Rows seen so far.</summary>
    public long N => m.N;

    /// <param name="xDim">Feature dimension d.</param>
    /// <param name="zDim">Concept columns: 1 for binary labels or one continuous concept, k for k &gt; 2 classes
    /// (one-hot) or k continuous columns (see <see cref="ConceptLabels"/>).</param>
    /// <param name="options">Method, shrinkage and tolerances; null = exact LEACE.</param>
    /// <param name="device">Where the float64 statistics live (default <see cref="Devices.Default"/>).</param>
    public LeaceFitter(long xDim, int zDim, LeaceOptions? options = null, Device? device = null)
    {
        if (xDim < 1) throw new ArgumentException($"xDim must be positive but is {xDim}.");
        if (zDim < 1) throw new ArgumentException($"zDim must be positive but is {zDim} (1 for binary labels, k for k classes).");
        Options = options ?? LeaceOptions.Default;
        if (!(Options.SvdRelativeTolerance > 0 && Options.SvdRelativeTolerance < 1))
            throw new ArgumentException($"SvdRelativeTolerance must be in (0, 1) but is {Options.SvdRelativeTolerance}; 1e-8 is the default.");
        if (Options.MaxRank is < 0) throw new ArgumentException($"MaxRank must be ≥ 0 but is {Options.MaxRank}.");
        XDim = xDim; ZDim = zDim;
        Device = device ?? Devices.Default;
        m = new StreamingMoments(xDim, zDim, Options.Method == ErasureMethod.Leace, Device);
    }

    // Machine epsilon of the least precise x seen: moments are accumulated in float64, but eigenvalues of Σ_XX below
    // ε(input)·λ_max are rounding noise of the data, and inverting them lets the eraser amplify directions the data
    // never varies in (seen: hidden ReLU features in float32 gave ‖P‖_max ≈ 65 and SGLD through the erased network blew up).
    double inputEpsilon = MachineEpsilon(ScalarType.Float64);

    static double MachineEpsilon(ScalarType t) => t switch
    {
        ScalarType.Float64 => 2.220446049250313e-16,
        ScalarType.Float16 => 9.765625e-4,
        ScalarType.BFloat16 => 7.8125e-3,
        _ => 1.1920928955078125e-7,
    };

    /// <summary>Merges a batch: x <c>[b, d]</c> float32/float64, z labels <c>[b]</c> or continuous <c>[b]</c> / <c>[b, k]</c>.</summary>
    public LeaceFitter Update(Tensor x, Tensor z)
    {
        InputChecks.Shape(x, "x", XDim); // finiteness is checked on the batch mean inside the moments update (no extra pass)
        InputChecks.SameRows(x, z);
        using var scope = NewDisposeScope();
        inputEpsilon = Math.Max(inputEpsilon, MachineEpsilon(x.dtype));
        // float32 and float64 rows go to the moments as they are (widened block by block there, so no float64 copy of the
        // batch is made); half precisions are widened first.
        var xs = x.dtype is ScalarType.Float32 or ScalarType.Float64 ? x.to(Device) : x.to(ScalarType.Float64, Device);
        var z64 = ConceptLabels.Encode(z, ZDim, Device);
        m.Update(xs, z64);
        cached?.Dispose();
        cached = null;
        return this;
    }

    /// <summary>The estimate of Σ_XX used for whitening (a copy; shrinkage applied).</summary>
    public Tensor SigmaXX
    {
        get
        {
            RequireData();
            if (m.Mxx is null) throw new InvalidOperationException("The orthogonal fitter does not track Σ_XX; use ErasureMethod.Leace.");
            using var s = (m.Mxx + m.Mxx.t()) / (2.0 * m.N);
            return CovarianceShrinkage.Apply(s, m.N, Options.Shrinkage);
        }
    }

    /// <summary>The cross-covariance Σ_XZ = M_xz/(n − 1) (a copy).</summary>
    public Tensor SigmaXZ { get { RequireData(); return m.Mxz / (double)(m.N - 1); } }

    /// <summary>The running mean of X (a copy).</summary>
    public Tensor MeanX => m.MeanX.clone();

    void RequireData()
    {
        if (m.N < 2) throw new InvalidOperationException($"The fitter has seen {m.N} row(s); call Update with at least 2 rows before asking for the eraser.");
    }

    /// <summary>The eraser for the statistics so far (cached until the next <see cref="Update"/>).
    /// Throws <see cref="InvalidOperationException"/> when the concept is constant (nothing to erase).
    /// The returned object is owned by the fitter until the next update; use <see cref="FitEraser"/> for one you own.</summary>
    public LeaceEraser Eraser => cached ??= Compute();

    /// <summary>A fresh eraser the caller owns (independent of the fitter's cache and statistics).</summary>
    public LeaceEraser FitEraser() => Compute();

    LeaceEraser Compute()
    {
        RequireData();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A constant concept (one class, or constant columns) has zero variance: nothing to erase.
        double zVar = m.Mzz.diagonal().sum().item<double>();
        double zScale = zVar + m.N * m.MeanZ.Squared().sum().item<double>();
        if (!(zVar > 1e-24 * Math.Max(zScale, double.Epsilon)))
            throw new InvalidOperationException(
                "The concept is constant over the data (a single class, or constant columns): there is nothing to erase and LEACE is undefined. " +
                "Check the labels and the data split, or skip erasure for this concept.");

        long d = XDim;
        var (w, wInv, covRank) = WhiteningPair();
        var sigmaXZ = m.Mxz / (double)(m.N - 1);
        var (u, s, _) = linalg.svd(w.matmul(sigmaXZ), fullMatrices: false);
        var sv = s.cpu().data<double>().ToArray();
        double smax = sv.Length > 0 ? sv.Max() : 0;
        int keep = sv.Count(v => v > Options.SvdRelativeTolerance * smax && v > 0);
        if (Options.MaxRank is int r) keep = Math.Min(keep, r);
        var uk = u[.., ..keep];
        var left = wInv.matmul(uk);
        var right = uk.t().matmul(w);
        if (Options.ConstrainCovTrace && Options.Method == ErasureMethod.Leace && keep > 0)
            (left, right) = CovarianceTraceConstraint.Apply(SigmaXX, left, right, uk);
        var mean = Options.Affine ? m.MeanX : zeros(d, dtype: ScalarType.Float64, device: Device);
        return new LeaceEraser(left, right, mean, sv, Options, covRank, m.N);
    }

    /// <summary>The whitening pair (W, W⁺, rank Σ_XX) the eraser uses: W = (Σ_XX^{1/2})⁺ with this fitter's shrinkage and eigenvalue
    /// tolerance (<see cref="PsdSqrt"/>), or W = W⁺ = I for the orthogonal method. New tensors in the caller's dispose scope.</summary>
    internal (Tensor W, Tensor WInv, long Rank) WhiteningPair()
    {
        RequireData();
        if (Options.Method != ErasureMethod.Leace)
        {
            var w = eye(XDim, dtype: ScalarType.Float64, device: Device);
            return (w, w, XDim);
        }
        using var sigma = SigmaXX;
        return PsdSqrt.Compute(sigma, Options.EigenvalueRelativeTolerance ?? PsdSqrt.DefaultTolerance(XDim, inputEpsilon));
    }

    public void Dispose()
    {
        cached?.Dispose();
        m.Dispose();
    }
}
