using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>Hidden-layer activations the original Keras experiments used (and a few neighbours).</summary>
public enum Activation
{
    Selu,
    /// <summary>Exact (erf) GELU, as Keras' <c>gelu</c> with approximate=False.</summary>
    Gelu,
    Relu,
    Tanh,
    Sigmoid,
    Linear,
}

public static class ActivationFunctions
{
    public static Tensor Apply(this Activation activation, Tensor x) => activation switch
    {
        Activation.Selu => nn.functional.selu(x),
        Activation.Gelu => nn.functional.gelu(x),
        Activation.Relu => nn.functional.relu(x),
        Activation.Tanh => x.tanh(),
        Activation.Sigmoid => x.sigmoid(),
        Activation.Linear => x.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
