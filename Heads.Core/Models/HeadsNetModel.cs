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
    /// and clamped. Runs in cache-sized blocks (<see cref="Inference.HeadsNetSampler"/>); the result is the same as one pass.
    /// </summary>
    public HeadPointCloud Sample(float seed, int count = DefaultPoints) => Inference.HeadsNetSampler.Sample(this, seed, count);

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
