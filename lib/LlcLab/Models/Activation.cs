using TorchSharp;
using static TorchSharp.torch;

namespace LlcLab.Models;

/// <summary>Element-wise non-linearities a spec string can name.</summary>
public enum Activation { Identity, ReLU, GELU, Tanh }

public static class ActivationExtensions
{
    public static Activation ParseActivation(string name) => name.Trim().ToLowerInvariant() switch
    {
        "relu" => Activation.ReLU,
        "gelu" => Activation.GELU,
        "tanh" => Activation.Tanh,
        "linear" or "identity" or "none" => Activation.Identity,
        _ => throw new ArgumentException($"Unknown activation '{name}'. Use relu, gelu, tanh or linear."),
    };

    public static Tensor Apply(this Activation a, Tensor x) => a switch
    {
        Activation.ReLU => nn.functional.relu(x),
        Activation.GELU => nn.functional.gelu(x),
        Activation.Tanh => x.tanh(),
        _ => x,
    };

    /// <summary>
    /// Applies the activation in place where autograd allows it (ReLU and tanh differentiate through their output; GELU
    /// needs its input, so it stays out of place). Only for freshly computed tensors nobody else holds.
    /// </summary>
    public static Tensor ApplyInPlace(this Activation a, Tensor x) => a switch
    {
        Activation.ReLU => x.relu_(),
        Activation.Tanh => x.tanh_(),
        _ => a.Apply(x),
    };

    public static nn.Module<Tensor, Tensor>? Module(this Activation a) => a switch
    {
        Activation.ReLU => nn.ReLU(),
        Activation.GELU => nn.GELU(),
        Activation.Tanh => nn.Tanh(),
        _ => null,
    };
}
