using static TorchSharp.torch;

namespace LlcLab.Runtime;

/// <summary>Small tensor helpers that sidestep TorchSharp pitfalls.</summary>
public static class TensorExtensions
{
    /// <summary>
    /// Element-wise x². TorchSharp's <c>square()</c> is <c>pow(2)</c> with an implicitly created
    /// native Scalar that the GC may finalise while the native call still reads it; under parallel
    /// load this surfaced as "Unknown scalar type" failures. <c>x·x</c> needs no Scalar.
    /// </summary>
    public static Tensor Squared(this Tensor x) => x.mul(x);
}
