using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// An eraser stored in factored form r(x) = x − ((x − μ)·Rᵀ)·Lᵀ, i.e. Q = L·R with L [d, r] and
/// R [r, d], so applying it costs O(n·d·r) instead of O(n·d²) (concept-erasure's proj_left/proj_right).
/// For orthogonal projections L = U, R = Uᵀ; for LEACE L = W⁺U, R = UᵀW (Belrose et al. 2023, Thm 4.1).
/// Owns float64 copies of its parameters: it never aliases a fitter's running statistics.
/// </summary>
public class AffineEraser : IEraser
{
    /// <summary>L [d, r], float64.</summary>
    public Tensor Left { get; }
    /// <summary>R [r, d], float64.</summary>
    public Tensor Right { get; }
    /// <summary>μ [d], float64: the point the edit is centred on (the training mean; zero for a purely linear eraser).</summary>
    public Tensor Mean { get; }
    public string Method { get; }

    public AffineEraser(string method, Tensor left, Tensor right, Tensor mean)
    {
        if (left.dim() != 2 || right.dim() != 2 || mean.dim() != 1 || left.shape[1] != right.shape[0] || left.shape[0] != right.shape[1] || mean.shape[0] != left.shape[0])
            throw new ArgumentException($"Inconsistent eraser factors: L [{string.Join(",", left.shape)}], R [{string.Join(",", right.shape)}], μ [{string.Join(",", mean.shape)}]; expected L [d,r], R [r,d], μ [d].");
        Method = method;
        // Owned copies, detached from any DisposeScope active at construction (the eraser outlives it).
        Left = Own(left);
        Right = Own(right);
        Mean = Own(mean);
    }

    internal static Tensor Own(Tensor t)
    {
        using var d = t.detach();
        using var f = d.to_type(ScalarType.Float64);
        return f.clone().DetachFromDisposeScope();
    }

    public long Dim => Left.shape[0];
    public long Rank => Left.shape[1];

    public Tensor Apply(Tensor x) => Apply(x, 1.0);

    public Tensor Apply(Tensor x, double strength)
    {
        bool row = x.dim() == 1;
        var x2 = row ? x.unsqueeze(0) : x;
        InputChecks.Features(x2, "x", Dim);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // One float64 working copy, edited in place: y = x − t·((x·Rᵀ − μ·Rᵀ)·Lᵀ), the [n, r] coefficients being the only other
        // temporary (r ≪ d), so applying costs two passes over x beyond the O(n·d·r) products.
        var y = x2.dtype == ScalarType.Float64 ? x2.clone() : x2.to_type(ScalarType.Float64);
        var dev = y.device;
        var l = Left.to(dev); var r = Right.to(dev); var mu = Mean.to(dev);
        var coef = y.matmul(r.t()).sub_(mu.matmul(r.t()));
        if (strength != 1.0) coef.mul_(strength);
        y.addmm_(coef, l.t(), beta: 1, alpha: -1);
        var result = y.dtype == x.dtype ? y : y.to_type(x.dtype);
        if (row) result = result.squeeze(0);
        return result.MoveToOuterDisposeScope();
    }

    public Tensor Matrix => AffineForm().Matrix;
    public Tensor Offset => AffineForm().Offset;

    public (Tensor Matrix, Tensor Offset) AffineForm(double strength = 1.0)
    {
        using var scope = NewDisposeScope();
        var q = Left.matmul(Right) * strength;
        var p = eye(Dim, dtype: ScalarType.Float64, device: Left.device) - q;
        var c = q.matmul(Mean);
        return (p.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope());
    }

    public IEraser WithStrength(double strength)
    {
        if (!double.IsFinite(strength)) throw new ArgumentException($"Strength must be finite (0 = identity, 1 = full erasure) but is {strength}.");
        using var l = Left * strength;
        return new AffineEraser(Method, l, Right, Mean);
    }

    /// <summary>Moves the parameters to <paramref name="device"/> (a new eraser).</summary>
    public AffineEraser To(Device device)
    {
        using var l = Left.to(device); using var r = Right.to(device); using var m = Mean.to(device);
        return new AffineEraser(Method, l, r, m);
    }

    public override string ToString() => $"{Method} eraser (d = {Dim}, rank {Rank})";

    public virtual void Dispose()
    {
        Left.Dispose(); Right.Dispose(); Mean.Dispose();
        GC.SuppressFinalize(this);
    }
}
