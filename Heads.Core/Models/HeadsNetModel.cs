using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>A coloured point cloud: positions x, y, z and colours r, g, b per point.</summary>
public sealed record HeadPointCloud(float[] Positions, byte[] Colors)
{
    public int Count => Positions.Length / 3;
}

/// <summary>A trained HeadsNet: (head seed, i/N) → one coloured point; a head is N points for one seed.</summary>
public sealed class HeadsNetModel : IDisposable
{
    public const int DefaultPoints = 200_000;

    public HeadsNetModel(DenseNetwork network, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(manifest);
        manifest.ExpectKind(ModelKind.HeadsNet);
        if (network.Architecture != manifest.Architecture)
            throw new ArgumentException($"The network ({network.Architecture}) does not match the manifest ({manifest.Architecture}).", nameof(manifest));
        if (manifest.Architecture.Inputs != 2 || manifest.Architecture.Outputs != 6)
            throw new ArgumentException($"HeadsNet maps 2 inputs to 6 outputs, not {manifest.Architecture}.", nameof(manifest));
        Network = network;
        Manifest = manifest;
    }

    public DenseNetwork Network { get; }

    public ModelManifest Manifest { get; private set; }

    /// <summary>
    /// Generates a head: inputs (seed, i/count) for i in 0..count-1, as the original sampling. Colours are ×255, rounded
    /// and clamped.
    /// </summary>
    public HeadPointCloud Sample(float seed, int count = DefaultPoints)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A head needs at least one point.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var index = arange(count, ScalarType.Float32).div_(count);
        var inputs = stack([full(count, seed, ScalarType.Float32), index], 1);
        var output = Network.forward(inputs);
        var positions = output.narrow(1, 0, 3).contiguous().data<float>().ToArray();
        var colors = output.narrow(1, 3, 3).mul(255).round_().clamp_(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
        return new HeadPointCloud(positions, colors);
    }

    public ModelManifest Save(Stream weights) => Manifest = ModelFile.Save(weights, Manifest, ModelFile.DenseTensors(Network));

    public static HeadsNetModel Load(Stream weights, ModelManifest? manifest = null)
    {
        var (m, tensors) = ModelFile.Load(weights, manifest, ModelKind.HeadsNet);
        try
        {
            return new HeadsNetModel(ModelFile.DenseNetwork(m.Architecture, tensors), m);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void Dispose() => Network.Dispose();
}
