using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// Mean-difference projection (Haghighatkhah et al. 2022, "mean projection"): project out the span of
/// the class-mean differences, x′ = x − UUᵀ(x − μ) with U an orthonormal basis of {μ_j − μ} (SVD, relative
/// tolerance). It equalises every class mean. For one-hot labels col(Σ_XZ) = span{p_j(μ_j − μ)}, so it
/// coincides with the orthogonal (SAL) eraser; LEACE's edit is never larger (Belrose et al. 2023, Thm 4.1).
/// </summary>
public static class MeanDifference
{
    public static AffineEraser Fit(Tensor x, Tensor labels, double svdRelativeTolerance = 1e-8)
    {
        InputChecks.Features(x);
        InputChecks.SameRows(x, labels, "x", "labels");
        if (!ConceptLabels.IsCategorical(labels))
            throw new ArgumentException("The mean-difference projection needs integer class labels; for continuous concepts use Leace.Fit(x, z, LeaceOptions.Orthogonal).");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x64 = x.to_type(ScalarType.Float64);
        var y = labels.to_type(ScalarType.Int64).to(x.device);
        int k = ConceptLabels.ClassCount(y);
        var onehot = nn.functional.one_hot(y, k).to_type(ScalarType.Float64);
        var counts = onehot.sum([0L]);
        var present = (counts > 0).nonzero().squeeze(1);
        if (present.shape[0] < 2)
            throw new InvalidOperationException("The concept is constant over the data (a single class): there is nothing to erase. Check the labels and the split.");
        var sums = onehot.t().matmul(x64);                                        // [k, d]
        var means = (sums.index_select(0, present) / counts.index_select(0, present).unsqueeze(1));
        var mu = x64.mean([0L]);
        var diffs = (means - mu).t();                                             // [d, k']
        var (u, s, _) = linalg.svd(diffs, fullMatrices: false);
        var sv = s.cpu().data<double>().ToArray();
        double smax = sv.Max();
        int keep = sv.Count(v => v > svdRelativeTolerance * smax && v > 0);
        var uk = u[.., ..keep];
        return new AffineEraser("meandiff", uk, uk.t(), mu);
    }
}
