using LlcLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>Basis of the invertible control (c), see <see cref="NullEdits.Invertible"/>.</summary>
public enum InvertibleBasis
{
    /// <summary>The eraser's own singular vectors: M_c = U_M diag(s̃) V_Mᵀ (default; deterministic given the eraser).</summary>
    Eraser,
    /// <summary>Haar-random orthogonal U, V (seeded): M_c = U diag(s̃) Vᵀ, which also rotates the whole layer.</summary>
    Random,
}

/// <summary>
/// Matched null edits for a concept eraser r(x) = μ + M(x − μ) at a layer (M = I − Q, Q = L·R of rank r; for LEACE M is an
/// oblique projection, Belrose et al. 2023 Thm 4.1). Each null edit is an <see cref="AffineEraser"/> of the same dimension
/// centred on the same μ, r′(x) = μ + M′(x − μ), so it inserts and folds exactly like the eraser
/// (<see cref="NetworkErasure.InsertInto"/>, <see cref="NetworkErasure.FoldInto"/>, <see cref="IEraser.AffineForm"/>).
/// Write the SVD M = U_M diag(s) V_Mᵀ, s sorted descending: the last r values are 0 (the kernel K = col(L), spanned by the last
/// r columns of V_M) and, since M is a projection of rank k = d − r, the first p = min(r, k) are ≥ 1 (one per 2×2 block
/// [[1, tᵢ], [0, 0]] of its canonical form, sᵢ = √(1 + tᵢ²)) and the rest are 1.
/// <list type="bullet">
/// <item>(a) <see cref="Orthogonal"/>: M_a = I − Π_K, the orthogonal projection with the same kernel. It destroys exactly the same
///   linear information (M = B·M_a for an invertible B on the image), so it erases the concept as well, but ‖M_a‖₂ = 1: it
///   separates "erasure" from LEACE's oblique amplification.</item>
/// <item>(b) <see cref="ObliqueRandom"/>: M_b = O·B·Oᵀ with O Haar-random orthogonal and B the canonical form with LEACE's
///   singular values (blocks [[1, tᵢ], [0, 0]], tᵢ = √(sᵢ² − 1), then 1s, then 0s). A projection of rank k with the same
///   singular values as M, in random directions: same amplification and same rank of information loss, unrelated to the concept.</item>
/// <item>(c) <see cref="Invertible"/>: M_c = U diag(s̃) Vᵀ with s̃ᵢ = max(sᵢ, s_min) (s_min = the smallest nonzero sᵢ, 1 unless
///   k ≤ r): LEACE's spectrum with its zeros lifted, full rank, so nothing is erased and the network's LLC is unchanged in exact
///   arithmetic (an invertible linear reparametrisation of the next layer). With the eraser's own basis (default) M_c = M + U₀V₀ᵀ
///   (U₀, V₀ the singular vectors of the zero singular values): LEACE's output plus the kernel component copied back into the
///   directions LEACE leaves empty, so amplification and insertion damage match LEACE as closely as a full-rank map can. Random U, V
///   would also rotate the whole layer, a much larger edit that confounds "damage at insertion".</item>
/// <item>(d) <see cref="RandomWhitened"/>: the LEACE formula with a random concept subspace in whitened coordinates,
///   M_d = I − W⁺·U_ρ·U_ρᵀ·W, W = (Σ_XX^{1/2})⁺ from the same fit rows, U_ρ an orthonormal basis of Π·G (G Gaussian [d, r],
///   Π = W·W⁺ the projector onto range Σ_XX): a uniformly random r-dimensional subspace of the whitened space, erased the way
///   LEACE erases (oblique, amplifying the same low-variance directions), but carrying no concept.</item>
/// </list>
/// (a), (b) and (d) are projections (M′² = M′) of rank d − r; (c) is invertible. Random edits draw from a private generator
/// seeded with the given seed (same seed → same edit).
/// </summary>
public static class NullEdits
{
    /// <summary>Method names of the null edits (as <see cref="IEraser.Method"/>).</summary>
    public const string OrthogonalName = "null-orth", ObliqueName = "null-oblique", InvertibleName = "null-invertible", WhitenedName = "null-whitened";

    /// <summary>All four names, in the order (a)–(d).</summary>
    public static IReadOnlyList<string> Names { get; } = [OrthogonalName, ObliqueName, InvertibleName, WhitenedName];

    /// <summary>Relative tolerance below which a singular value of M counts as zero.</summary>
    public const double ZeroTolerance = 1e-9;

    /// <summary>(a) The orthogonal projection onto the complement of the eraser's kernel K: M_a = I − V₀V₀ᵀ.</summary>
    public static AffineEraser Orthogonal(AffineEraser eraser)
    {
        ArgumentNullException.ThrowIfNull(eraser);
        using var scope = NewDisposeScope();
        var (_, _, v, r) = Spectrum(eraser);
        var v0 = v[.., ^(int)r..];
        return new AffineEraser(OrthogonalName, v0, v0.t(), eraser.Mean.cpu());
    }

    /// <summary>(b) A random oblique projection O·B·Oᵀ with the eraser map's singular values (see the class summary).</summary>
    public static AffineEraser ObliqueRandom(AffineEraser eraser, long seed)
    {
        ArgumentNullException.ThrowIfNull(eraser);
        using var scope = NewDisposeScope();
        var (s, _, _, r) = Spectrum(eraser);
        long d = eraser.Dim, k = d - r, p = Math.Min(r, k);
        using var g = Seeding.Generator(seed);
        var o = RandomOrthogonal(d, g);
        // I − B restricted to pair i (basis o₂ᵢ kept, o₂ᵢ₊₁ killed) is (o₂ᵢ₊₁ − tᵢ o₂ᵢ) o₂ᵢ₊₁ᵀ; surplus zeros (r > k) are o_j o_jᵀ.
        var left = zeros(d, r, dtype: ScalarType.Float64);
        var right = zeros(r, d, dtype: ScalarType.Float64);
        var sv = s.data<double>().ToArray();
        for (long i = 0; i < p; i++)
        {
            double t = Math.Sqrt(Math.Max(sv[i] * sv[i] - 1, 0));
            left[.., i] = o[.., 2 * i + 1] - t * o[.., 2 * i];
            right[i] = o[.., 2 * i + 1];
        }
        for (long j = p; j < r; j++)
        {
            left[.., j] = o[.., p + j];
            right[j] = o[.., p + j];
        }
        return new AffineEraser(ObliqueName, left, right, eraser.Mean.cpu());
    }

    /// <summary>(c) The invertible map U diag(max(s, s_min)) Vᵀ with the eraser's singular values (see the class summary);
    /// <paramref name="seed"/> is used only with <see cref="InvertibleBasis.Random"/>.</summary>
    public static AffineEraser Invertible(AffineEraser eraser, long seed = 0, InvertibleBasis basis = InvertibleBasis.Eraser)
    {
        ArgumentNullException.ThrowIfNull(eraser);
        using var scope = NewDisposeScope();
        var (s, u, v, r) = Spectrum(eraser);
        long d = eraser.Dim;
        double sMin = s[d - r - 1].item<double>();
        var lifted = s.clamp_min(sMin);
        if (basis == InvertibleBasis.Random)
        {
            using var g = Seeding.Generator(seed);
            u = RandomOrthogonal(d, g);
            v = RandomOrthogonal(d, g);
        }
        var m = (u * lifted).matmul(v.t());
        return FromMap(InvertibleName, m, eraser.Mean.cpu());
    }

    /// <summary>(d) The LEACE formula with a random rank-<paramref name="rank"/> subspace of the whitened space of the rows the
    /// <paramref name="fitter"/> has seen (its Σ_XX, shrinkage and tolerances), centred on the fitter's mean.</summary>
    public static AffineEraser RandomWhitened(LeaceFitter fitter, long rank, long seed)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        if (fitter.Options.Method != ErasureMethod.Leace)
            throw new ArgumentException("RandomWhitened needs a LEACE fitter (it whitens with Σ_XX); the orthogonal fitter does not track Σ_XX.");
        using var scope = NewDisposeScope();
        var (w, wInv, covRank) = fitter.WhiteningPair();
        if (rank < 1 || rank > covRank)
            throw new ArgumentException($"rank must be in [1, {covRank}] (the rank of Σ_XX), got {rank}.");
        w = w.cpu(); wInv = wInv.cpu();
        using var g = Seeding.Generator(seed);
        var gauss = randn([fitter.XDim, rank], dtype: ScalarType.Float64, generator: g);
        var u = linalg.qr(w.matmul(wInv).matmul(gauss)).Q;
        var mean = fitter.Options.Affine ? fitter.MeanX.cpu() : zeros(fitter.XDim, dtype: ScalarType.Float64);
        return new AffineEraser(WhitenedName, wInv.matmul(u), u.t().matmul(w), mean);
    }

    /// <summary>LEACE on (x, z) and its four matched null edits from one fitter; <paramref name="seed"/> seeds (b), (c, random basis)
    /// and (d) through separate streams.</summary>
    public static NullEditSet Build(Tensor x, Tensor z, long seed, LeaceOptions? options = null, InvertibleBasis basis = InvertibleBasis.Eraser)
    {
        var o = options ?? LeaceOptions.Default;
        if (o.Method != ErasureMethod.Leace) throw new ArgumentException("Matched null edits are built for LEACE; pass LEACE options.");
        InputChecks.Shape(x);
        InputChecks.SameRows(x, z);
        // One fitter for LEACE and the whitened null edit (d), which reuses its whitening pair.
        using var fitter = new LeaceFitter(x.shape[1], ConceptLabels.ColumnCount(z), o, x.device);
        fitter.Update(x, z);
        var leace = fitter.FitEraser();
        var cpu = leace.Left.device_type == DeviceType.CPU ? null : leace.To(CPU);
        var e = (AffineEraser?)cpu ?? leace;
        try
        {
            return new NullEditSet(leace, Orthogonal(e), ObliqueRandom(e, Seeding.Derive(seed, 1)),
                Invertible(e, Seeding.Derive(seed, 2), basis), RandomWhitened(fitter, leace.Rank, Seeding.Derive(seed, 3)));
        }
        finally { cpu?.Dispose(); }
    }

    /// <summary>An eraser with map <paramref name="m"/> centred on <paramref name="mean"/>: Q = I − M compressed by SVD to its numerical
    /// rank (so a map close to the identity stays cheap to apply).</summary>
    public static AffineEraser FromMap(string method, Tensor m, Tensor mean)
    {
        using var scope = NewDisposeScope();
        long d = m.shape[0];
        var q = eye(d, dtype: ScalarType.Float64) - m.to(ScalarType.Float64).cpu();
        var (a, s, bt) = linalg.svd(q, fullMatrices: false);
        double smax = s.max().item<double>();
        long keep = Math.Max(1, s.gt(smax * ZeroTolerance * d).sum().item<long>());
        return new AffineEraser(method, a[.., ..(int)keep] * s[..(int)keep], bt[..(int)keep], mean.cpu());
    }

    /// <summary>SVD of the eraser's map M (float64, CPU) and its rank deficit r = the eraser's rank, checked against the spectrum.</summary>
    static (Tensor S, Tensor U, Tensor V, long R) Spectrum(AffineEraser eraser)
    {
        var (m, c) = eraser.AffineForm();
        c.Dispose();
        var (u, s, vt) = linalg.svd(m.cpu(), fullMatrices: true);
        long d = eraser.Dim, r = eraser.Rank;
        double smax = s.max().item<double>();
        long zeros = s.le(smax * ZeroTolerance * d).sum().item<long>();
        if (r < 1 || r >= d || zeros != r)
            throw new ArgumentException($"The {eraser.Method} eraser's map has {zeros} zero singular value(s) but rank-{r} edit in dimension {d}; " +
                "matched null edits need an eraser whose map I − Q is a projection with a kernel of dimension rank (LEACE, orth, INLP, RLACE) and rank < d.");
        return (s, u, vt.t(), r);
    }

    /// <summary>A Haar-random orthogonal d×d matrix: QR of a Gaussian matrix with the signs of R's diagonal folded into Q (Mezzadri 2007).</summary>
    internal static Tensor RandomOrthogonal(long d, Generator g)
    {
        var (q, rr) = linalg.qr(randn([d, d], dtype: ScalarType.Float64, generator: g));
        return q * rr.diagonal().sign().unsqueeze(0);
    }
}

/// <summary>A LEACE eraser and its matched null edits (a)–(d) (<see cref="NullEdits"/>); disposes all five.</summary>
public sealed record NullEditSet(LeaceEraser Leace, AffineEraser Orthogonal, AffineEraser Oblique, AffineEraser Invertible, AffineEraser Whitened) : IDisposable
{
    /// <summary>The null edits with their names, in the order (a)–(d).</summary>
    public IReadOnlyList<(string Name, AffineEraser Edit)> Nulls => [(NullEdits.OrthogonalName, Orthogonal), (NullEdits.ObliqueName, Oblique), (NullEdits.InvertibleName, Invertible), (NullEdits.WhitenedName, Whitened)];

    public void Dispose()
    {
        Leace.Dispose(); Orthogonal.Dispose(); Oblique.Dispose(); Invertible.Dispose(); Whitened.Dispose();
    }
}
