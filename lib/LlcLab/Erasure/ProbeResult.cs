using static TorchSharp.torch;

namespace LlcLab.Erasure;

/// <summary>
/// A fitted linear probe: scores s(x) = x·Cᵀ + b. For logistic regression with two classes C is [1, d]
/// (the logit of class 1 vs 0); with k &gt; 2 classes C is [k, d] with row 0 fixed at zero (reference-class
/// softmax). For the linear SVM C is [1, d] (binary) or [k, d] (one-vs-rest).
/// </summary>
/// <param name="Model">"logistic" or "svm".</param>
/// <param name="Accuracy">Accuracy on the held-out split (on the training rows when TestFraction = 0).</param>
/// <param name="TrainAccuracy">Accuracy on the training rows.</param>
/// <param name="ChanceLevel">Majority-class rate on the rows <see cref="Accuracy"/> is measured on.</param>
/// <param name="Classes">Number of classes k.</param>
/// <param name="Coefficients">C, float64.</param>
/// <param name="Intercept">b, float64.</param>
/// <param name="Iterations">Newton iterations used (the largest over one-vs-rest problems).</param>
/// <param name="Converged">Whether the gradient norm reached the tolerance (false e.g. for separable data without L2).</param>
/// <param name="TrainRows">Rows used for fitting.</param>
/// <param name="TestRows">Held-out rows (0 when TestFraction = 0).</param>
public sealed record ProbeResult(
    string Model,
    double Accuracy,
    double TrainAccuracy,
    double ChanceLevel,
    int Classes,
    Tensor Coefficients,
    Tensor Intercept,
    int Iterations,
    bool Converged,
    long TrainRows,
    long TestRows)
{
    /// <summary>Accuracy above chance: Accuracy − ChanceLevel.</summary>
    public double AdvantageOverChance => Accuracy - ChanceLevel;

    /// <summary>max |C_ij|: ~0 when no linear direction helps to predict the concept.</summary>
    public double MaxAbsCoefficient => Coefficients.numel() == 0 ? 0 : Coefficients.abs().max().item<double>();

    /// <summary>Class scores [n, c] (float64).</summary>
    public Tensor Scores(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x64 = x.to(ScalarType.Float64, Coefficients.device);
        return (x64.matmul(Coefficients.t()) + Intercept).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted class labels [n] (int64).</summary>
    public Tensor Predict(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = Scores(x);
        var pred = Model == "logistic" && Classes == 2 || Model == "svm" && Classes == 2
            ? (s.squeeze(1) > 0).to_type(ScalarType.Int64)
            : s.argmax(1);
        return pred.MoveToOuterDisposeScope();
    }

    /// <summary>Fraction of rows whose predicted label equals <paramref name="labels"/>.</summary>
    public double AccuracyOn(Tensor x, Tensor labels)
    {
        using var p = Predict(x);
        using var y = labels.to(ScalarType.Int64, p.device);
        return p.eq(y).to_type(ScalarType.Float64).mean().item<double>();
    }

    public override string ToString() =>
        $"{Model} probe: accuracy {Accuracy:F4} (chance {ChanceLevel:F4}, train {TrainAccuracy:F4}), {Classes} classes, max|coef| {MaxAbsCoefficient:E2}{(Converged ? "" : ", not converged")}";
}
