using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// An affine concept eraser r(x) = x − Q(x − μ) = x·Pᵀ + c, with P = I − Q and c = Qμ
/// (Belrose et al. 2023, eq. 1 and Thm 4.1 for LEACE; orthogonal projections for SAL, mean-difference,
/// INLP and RLACE). Statistics and parameters are float64; <see cref="Apply(Tensor)"/> returns the
/// dtype it was given (float32 in → float32 out, float64 → float64).
/// </summary>
public interface IEraser : IDisposable
{
    /// <summary>Short method name: leace, orth, meandiff, inlp, rlace.</summary>
    string Method { get; }

    /// <summary>Feature dimension d.</summary>
    long Dim { get; }

    /// <summary>Rank of the edit Q (at most the number of concept columns for LEACE).</summary>
    long Rank { get; }

    /// <summary>r(x) for rows <c>[n, d]</c> (or one row <c>[d]</c>).</summary>
    Tensor Apply(Tensor x);

    /// <summary>Partial erasure x − t·(x − r(x)) = x − t·Q(x − μ); t = 0 is the identity, t = 1 is <see cref="Apply(Tensor)"/>.</summary>
    Tensor Apply(Tensor x, double strength);

    /// <summary>P = I − Q (float64, [d, d]) with r(x) = x·Pᵀ + c.</summary>
    Tensor Matrix { get; }

    /// <summary>c = Qμ (float64, [d]) with r(x) = x·Pᵀ + c.</summary>
    Tensor Offset { get; }

    /// <summary>(P_t, c_t) = (I − tQ, tQμ): the affine form of the strength-t eraser, float64.</summary>
    (Tensor Matrix, Tensor Offset) AffineForm(double strength = 1.0);

    /// <summary>A copy that erases with strength t (x − t·Q(x − μ)).</summary>
    IEraser WithStrength(double strength);
}
