using TorchSharp;

namespace LlcLab.Runtime;

/// <summary>
/// Long-lived native scalars for hot loops. TorchSharp turns a C# number into a native <see cref="Scalar"/> for each
/// call (even <c>add_(t)</c> passes an implicit alpha = 1) and reads its handle before the native call; nothing keeps the
/// temporary alive during the call, so a GC on another thread can finalise it mid-call ("Unknown scalar type", seen in
/// parallel test runs as a native error in <c>THSTensor_div_scalar_</c>). Scalars held here (static) or in a
/// <c>using</c> variable spanning the loop (as the SGLD loop does) cannot be collected early, and no longer cost
/// an allocation and a finaliser per operation.
/// </summary>
public static class Scalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar MinusOne = (-1.0).ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
    public static readonly Scalar MinusHalf = (-0.5).ToScalar();
    public static readonly Scalar Zero = 0.0.ToScalar();
}
