using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>How dense weights start. Keras' Dense default (and FaceNet3's explicit choice) is Glorot-uniform with zero biases.</summary>
public enum WeightInit
{
    GlorotUniform,
    LecunNormal,
}

/// <summary>
/// A plain MLP: <see cref="Inputs"/> → <see cref="HiddenLayers"/> × Dense(<see cref="Units"/>, <see cref="Activation"/>) → Dense(<see cref="Outputs"/>, linear),
/// the shape of every network in the original experiments. <see cref="Dropout"/> (training only, after each hidden layer) is 0 in all
/// of the originals.
/// </summary>
public sealed record DenseArchitecture(int Inputs, int HiddenLayers, int Units, int Outputs, Activation Activation, WeightInit WeightInit = WeightInit.GlorotUniform, double Dropout = 0)
{
    /// <summary>HeadsNet: (seed, index) → x, y, z, r, g, b; 2 → 384 ×4 selu → 6.</summary>
    public static DenseArchitecture HeadsNet { get; } = new(2, 4, 384, 6, Activation.Selu);

    /// <summary>FaceNet1: 32×32 face → 32³ volume; 1024 → 32 ×7 selu → 32768.</summary>
    public static DenseArchitecture FaceNet1 { get; } = new(1024, 7, 32, 32768, Activation.Selu);

    /// <summary>FaceNet2: one network per voxel; 1024 → 32 ×7 gelu → 1 (39,169 parameters).</summary>
    public static DenseArchitecture FaceNet2Voxel { get; } = new(1024, 7, 32, 1, Activation.Gelu);

    /// <summary>FaceNet3: FaceNet1's shape with gelu and explicit Glorot-uniform weights.</summary>
    public static DenseArchitecture FaceNet3 { get; } = new(1024, 7, 32, 32768, Activation.Gelu);

    /// <summary>Number of Dense layers (hidden plus output).</summary>
    public int LayerCount => HiddenLayers + 1;

    public int LayerInputs(int layer) => layer == 0 ? Inputs : Units;

    public int LayerOutputs(int layer) => layer == HiddenLayers ? Outputs : Units;

    public long ParameterCount
    {
        get
        {
            long n = 0;
            for (int l = 0; l < LayerCount; l++) n += (long)LayerInputs(l) * LayerOutputs(l) + LayerOutputs(l);
            return n;
        }
    }

    public void Validate()
    {
        if (Inputs < 1) throw new ArgumentOutOfRangeException(nameof(Inputs), Inputs, "An architecture needs at least one input.");
        if (HiddenLayers < 1) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers, "An architecture needs at least one hidden layer.");
        if (Units < 1) throw new ArgumentOutOfRangeException(nameof(Units), Units, "Hidden layers need at least one unit.");
        if (Outputs < 1) throw new ArgumentOutOfRangeException(nameof(Outputs), Outputs, "An architecture needs at least one output.");
        if (!Enum.IsDefined(Activation)) throw new ArgumentOutOfRangeException(nameof(Activation), Activation, "Unknown activation.");
        if (!Enum.IsDefined(WeightInit)) throw new ArgumentOutOfRangeException(nameof(WeightInit), WeightInit, "Unknown weight initialiser.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
    }

    public override string ToString() =>
        $"{Inputs} → {Units} ×{HiddenLayers} {Activation.ToString().ToLowerInvariant()}{(Dropout > 0 ? $" (dropout {Dropout:0.##})" : "")} → {Outputs}";

    /// <summary>Fills a [.., out, in] weight with this architecture's initialiser using <paramref name="generator"/>.</summary>
    internal void InitializeWeight(Tensor weight, int fanIn, int fanOut, Generator generator)
    {
        using var noGrad = no_grad();
        switch (WeightInit)
        {
            case WeightInit.GlorotUniform:
                double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                weight.uniform_(-limit, limit, generator);
                break;
            case WeightInit.LecunNormal:
                // As Keras: a normal truncated at two standard deviations, widened so the variance stays 1/fanIn.
                double std = Math.Sqrt(1.0 / fanIn) / 0.87962566103423978;
                nn.init.trunc_normal_(weight, 0, std, -2 * std, 2 * std, generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(WeightInit), WeightInit, "Unknown weight initialiser.");
        }
    }
}
