using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>A trained FaceNet1 or FaceNet3: one network from a 32×32 face to a whole 32³ volume.</summary>
public sealed class FaceNetModel : IVolumePredictor, IDisposable
{
    public FaceNetModel(DenseNetwork network, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(manifest);
        manifest.ExpectKind(ModelKind.FaceNet1, ModelKind.FaceNet3);
        if (network.Architecture != manifest.Architecture)
            throw new ArgumentException($"The network ({network.Architecture}) does not match the manifest ({manifest.Architecture}).", nameof(manifest));
        if (manifest.Architecture.Inputs != VolumePostProcessing.FacePixels || manifest.Architecture.Outputs != VolumePostProcessing.VolumeVoxels)
            throw new ArgumentException($"A FaceNet maps {VolumePostProcessing.FacePixels} pixels to {VolumePostProcessing.VolumeVoxels} voxels, not {manifest.Architecture}.", nameof(manifest));
        Network = network;
        Manifest = manifest;
    }

    public DenseNetwork Network { get; }

    public ModelManifest Manifest { get; private set; }

    /// <summary>Raw network outputs [N, 32768] for scaled faces [N, 1024].</summary>
    public Tensor Forward(Tensor faces)
    {
        using var noGrad = no_grad();
        return Network.forward(faces);
    }

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        var volumes = new byte[faces.Length / VolumePostProcessing.FacePixels * VolumePostProcessing.VolumeVoxels];
        PredictVolumes(faces, volumes);
        return volumes;
    }

    public void PredictVolumes(ReadOnlySpan<byte> faces, Span<byte> volumes)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        VolumePostProcessing.CopyBytes(Network.forward(VolumePostProcessing.Scale(faces, VolumePostProcessing.FacePixels)), volumes);
    }

    /// <summary>Writes safetensors weights and returns the manifest completed with their SHA-256 and size.</summary>
    public ModelManifest Save(Stream weights) => Manifest = ModelFile.Save(weights, Manifest, ModelFile.DenseTensors(Network));

    /// <summary>Loads weights; given a manifest, checks kind, architecture and checksum against it.</summary>
    public static FaceNetModel Load(Stream weights, ModelManifest? manifest = null)
    {
        var (m, tensors) = ModelFile.Load(weights, manifest, ModelKind.FaceNet1, ModelKind.FaceNet3);
        try
        {
            return new FaceNetModel(ModelFile.DenseNetwork(m.Architecture, tensors), m);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void Dispose() => Network.Dispose();
}
