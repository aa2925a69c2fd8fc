using System.Numerics;
using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>
/// Where one voxel net's parameters lie in the cache-resident engine's flat buffers. Every row is padded to a whole number
/// of 512-bit vectors with zeros: padded weights stay exactly zero through training (their inputs are held at zero, so their
/// gradients are zero), so padding changes no real value. Layer 0 is [U, In] (a row of inputs per hidden unit, as the
/// Linear layout); later layers are [in, out] (a row of outputs per input, as the ensemble's bmm layout).
/// </summary>
internal sealed class ResidentNetLayout
{
    public ResidentNetLayout(DenseArchitecture architecture)
    {
        Architecture = architecture;
        Layers = architecture.LayerCount;
        Units = architecture.Units;
        Inputs = architecture.Inputs;
        InputStride = Pad(Inputs);
        UnitStride = Pad(Units);
        OutputStride = Pad(architecture.Outputs);
        WeightOffset = new long[Layers];
        BiasOffset = new long[Layers];
        long at = 0;
        for (int l = 0; l < Layers; l++)
        {
            WeightOffset[l] = at;
            at += l == 0 ? (long)Units * InputStride : (long)UnitStride * Stride(l);
            BiasOffset[l] = at;
            at += Stride(l);
        }
        Total = at;
    }

    public DenseArchitecture Architecture { get; }
    public int Layers { get; }
    public int Units { get; }
    public int Inputs { get; }
    /// <summary>Floats per layer-0 weight row and per padded input row.</summary>
    public int InputStride { get; }
    /// <summary>Floats per hidden activation row.</summary>
    public int UnitStride { get; }
    public int OutputStride { get; }
    public long[] WeightOffset { get; }
    public long[] BiasOffset { get; }
    /// <summary>Floats of parameters (and of each optimiser state) per net, padding included.</summary>
    public long Total { get; }

    /// <summary>Floats per output row of layer <paramref name="layer"/>.</summary>
    public int Stride(int layer) => layer == Layers - 1 ? OutputStride : UnitStride;

    /// <summary>Real outputs of layer <paramref name="layer"/>.</summary>
    public int Outputs(int layer) => Architecture.LayerOutputs(layer);

    /// <summary>Rows are whole 512-bit vectors (16 floats), which are also whole <see cref="Vector{T}"/>s.</summary>
    public static int Pad(int n) => (n + Lanes - 1) / Lanes * Lanes;

    private const int Lanes = 16;
}
