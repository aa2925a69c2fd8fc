using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>A coloured point cloud: positions x, y, z and colours r, g, b per point.</summary>
public sealed record HeadPointCloud(float[] Positions, byte[] Colors)
{
    public int Count => Positions.Length / 3;
}

/// <summary>
/// A trained HeadsNet: (head seed, point of the sphere) → one coloured point; a head is N points for one seed. The
/// manifest's <see cref="HeadsNetEncoding"/> says how those become the network's inputs (none: the original's two).
/// </summary>
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
        var encoding = manifest.Encoding ?? HeadsNetEncoding.Original;
        encoding.Validate();
        if (manifest.Architecture.Inputs != encoding.Width || manifest.Architecture.Outputs != 6)
            throw new ArgumentException($"A {encoding.Kind} HeadsNet maps {encoding.Width} inputs to 6 outputs, not {manifest.Architecture}.", nameof(manifest));
        Network = network;
        Manifest = manifest;
        Encoding = encoding;
    }

    /// <summary>The input encoding (Original for manifests that name none).</summary>
    public HeadsNetEncoding Encoding { get; }

    public DenseNetwork Network { get; }

    public ModelManifest Manifest { get; private set; }

    /// <summary>
    /// Generates a head: the encoding's sampling inputs for points 0..count-1 (Original: (seed, i/count), as the original
    /// sampling; SphereFourier: count Fibonacci-sphere directions). Colours are ×255, rounded
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
