using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// The default face model: a plain MLP from the 32×32 face to the coefficients of the training volumes' principal components,
/// decoded by that fixed basis (volume = coefficients · basis + mean volume). Predicting a few dozen coefficients instead of
/// 32,768 voxels is what lets a few hundred heads train it without overfitting.
/// </summary>
public sealed class FaceNetPcaModel : IVolumePredictor, IDisposable
{
    public const string BasisName = "pca.basis";
    public const string MeanName = "pca.mean";
    public const string FaceMeanName = "input.mean";
    public const string FaceScaleName = "input.scale";

    /// <param name="network">Face (scaled /255) → coefficients.</param>
    /// <param name="basis">[coefficients, 32768]: each row a principal direction scaled by its standard deviation over the training volumes.</param>
    /// <param name="mean">[32768]: the mean training volume (scaled /255).</param>
    /// <param name="faceMean">[1024]: the mean training face (scaled /255), subtracted from every input.</param>
    /// <param name="faceScale">[1024]: 1 / the standard deviation of each training pixel, so every input feature has unit variance.</param>
    public FaceNetPcaModel(DenseNetwork network, Tensor basis, Tensor mean, Tensor faceMean, Tensor faceScale, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(faceMean);
        ArgumentNullException.ThrowIfNull(faceScale);
        foreach (var (t, what) in new[] { (faceMean, "face mean"), (faceScale, "face scale") })
            if (!t.shape.SequenceEqual([VolumePostProcessing.FacePixels]) || t.dtype != ScalarType.Float32)
                throw new ArgumentException($"The {what} must be float32 [{VolumePostProcessing.FacePixels}], not {t.dtype} [{string.Join(", ", t.shape)}].");
        FaceMean = faceMean;
        FaceScale = faceScale;
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(manifest);
        manifest.ExpectKind(ModelKind.FaceNetPca);
        if (network.Architecture != manifest.Architecture)
            throw new ArgumentException($"The network ({network.Architecture}) does not match the manifest ({manifest.Architecture}).", nameof(manifest));
        if (manifest.Architecture.Inputs != VolumePostProcessing.FacePixels)
            throw new ArgumentException($"A FaceNetPca reads {VolumePostProcessing.FacePixels} pixels, not {manifest.Architecture.Inputs}.", nameof(manifest));
        if (!basis.shape.SequenceEqual([manifest.Architecture.Outputs, VolumePostProcessing.VolumeVoxels]) || basis.dtype != ScalarType.Float32)
            throw new ArgumentException($"The basis must be float32 [{manifest.Architecture.Outputs}, {VolumePostProcessing.VolumeVoxels}], not {basis.dtype} [{string.Join(", ", basis.shape)}].", nameof(basis));
        if (!mean.shape.SequenceEqual([VolumePostProcessing.VolumeVoxels]) || mean.dtype != ScalarType.Float32)
            throw new ArgumentException($"The mean volume must be float32 [{VolumePostProcessing.VolumeVoxels}], not {mean.dtype} [{string.Join(", ", mean.shape)}].", nameof(mean));
        Network = network;
        Basis = basis;
        Mean = mean;
        Manifest = manifest;
    }

    public DenseNetwork Network { get; }

    public Tensor Basis { get; }

    public Tensor Mean { get; }

    public Tensor FaceMean { get; }

    public Tensor FaceScale { get; }

    public ModelManifest Manifest { get; private set; }

    public int Components => (int)Basis.shape[0];

    /// <summary>Volumes (scaled, before post-processing) [N, 32768] for scaled faces [N, 1024]; with autograd when training.</summary>
    public Tensor Decode(Tensor faces) => Network.forward(Standardize(faces, FaceMean, FaceScale)).mm(Basis).add(Mean);

    /// <summary>(faces − mean) · scale: the network's input features.</summary>
    public static Tensor Standardize(Tensor faces, Tensor faceMean, Tensor faceScale) => (faces - faceMean).mul_(faceScale);

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
        VolumePostProcessing.CopyBytes(Decode(VolumePostProcessing.Scale(faces, VolumePostProcessing.FacePixels)), volumes);
    }

    public ModelManifest Save(Stream weights)
    {
        var tensors = ModelFile.DenseTensors(Network).Append((BasisName, Basis)).Append((MeanName, Mean))
            .Append((FaceMeanName, FaceMean)).Append((FaceScaleName, FaceScale)).ToList();
        return Manifest = ModelFile.Save(weights, Manifest, tensors);
    }

    public static FaceNetPcaModel Load(Stream weights, ModelManifest? manifest = null)
    {
        var (m, tensors) = ModelFile.Load(weights, manifest, ModelKind.FaceNetPca);
        try
        {
            var a = m.Architecture;
            var basis = ModelFile.Expect(tensors, BasisName, ScalarType.Float32, a, a.Outputs, VolumePostProcessing.VolumeVoxels);
            var mean = ModelFile.Expect(tensors, MeanName, ScalarType.Float32, a, VolumePostProcessing.VolumeVoxels);
            var faceMean = ModelFile.Expect(tensors, FaceMeanName, ScalarType.Float32, a, VolumePostProcessing.FacePixels);
            var faceScale = ModelFile.Expect(tensors, FaceScaleName, ScalarType.Float32, a, VolumePostProcessing.FacePixels);
            string[] fixedNames = [BasisName, MeanName, FaceMeanName, FaceScaleName];
            var network = ModelFile.DenseNetwork(a, tensors.Where(t => !fixedNames.Contains(t.Key)).ToDictionary());
            try
            {
                var model = new FaceNetPcaModel(network, basis, mean, faceMean, faceScale, m);
                foreach (var name in fixedNames) tensors.Remove(name);
                return model;
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        Network.Dispose();
        Basis.Dispose();
        Mean.Dispose();
        FaceMean.Dispose();
        FaceScale.Dispose();
    }
}
