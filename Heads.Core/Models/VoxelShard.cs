using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// The FaceNet2 networks for a block of voxels [First, First + Count): an ensemble for the trained voxels plus stored
/// values for voxels that were constant over the training set (pruned, never trained). The unit a trainer replica produces.
/// </summary>
public sealed class VoxelShard : IDisposable
{
    private readonly int[] trained;
    private readonly int[] constant;
    private readonly byte[] constantValues;
    private Tensor? trainedIndex;

    public VoxelShard(ModelManifest manifest, int[] trainedVoxels, int[] constantVoxels, byte[] constantValues, VoxelEnsemble? ensemble)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(trainedVoxels);
        ArgumentNullException.ThrowIfNull(constantVoxels);
        ArgumentNullException.ThrowIfNull(constantValues);
        manifest.ExpectKind(ModelKind.FaceNet2Shard);
        var range = manifest.Voxels ?? throw new ArgumentException("A shard manifest needs a voxel range.", nameof(manifest));
        if (range.First < 0 || range.Count < 1 || range.First + range.Count > VolumePostProcessing.VolumeVoxels)
            throw new ArgumentException($"Voxel range {range.First}..{range.First + range.Count - 1} is outside 0..{VolumePostProcessing.VolumeVoxels - 1}.", nameof(manifest));
        if (manifest.Architecture.Inputs != VolumePostProcessing.FacePixels || manifest.Architecture.Outputs != 1)
            throw new ArgumentException($"A voxel network maps {VolumePostProcessing.FacePixels} pixels to 1 voxel, not {manifest.Architecture}.", nameof(manifest));
        if (constantValues.Length != constantVoxels.Length)
            throw new ArgumentException($"{constantVoxels.Length} constant voxels but {constantValues.Length} constant values.", nameof(constantValues));
        if (trainedVoxels.Length != range.Trained || constantVoxels.Length != range.Constant || range.Trained + range.Constant != range.Count)
            throw new ArgumentException($"The manifest's voxel range {range} does not match {trainedVoxels.Length} trained and {constantVoxels.Length} constant voxels.", nameof(manifest));
        var seen = new bool[range.Count];
        foreach (var v in trainedVoxels.Concat(constantVoxels))
        {
            if (v < range.First || v >= range.First + range.Count) throw new ArgumentException($"Voxel {v} is outside the shard's range {range.First}..{range.First + range.Count - 1}.");
            if (seen[v - range.First]) throw new ArgumentException($"Voxel {v} appears twice in the shard.");
            seen[v - range.First] = true;
        }
        if ((ensemble?.Count ?? 0) != trainedVoxels.Length)
            throw new ArgumentException($"The ensemble holds {ensemble?.Count ?? 0} networks for {trainedVoxels.Length} trained voxels.", nameof(ensemble));
        if (ensemble is not null && ensemble.Architecture != manifest.Architecture)
            throw new ArgumentException($"The ensemble ({ensemble.Architecture}) does not match the manifest ({manifest.Architecture}).", nameof(ensemble));
        Manifest = manifest;
        trained = trainedVoxels;
        constant = constantVoxels;
        this.constantValues = constantValues;
        Ensemble = ensemble;
    }

    public ModelManifest Manifest { get; private set; }

    public int FirstVoxel => Manifest.Voxels!.First;

    public int VoxelCount => Manifest.Voxels!.Count;

    /// <summary>Absolute volume indices of the voxels with networks, in ensemble order.</summary>
    public IReadOnlyList<int> TrainedVoxels => trained;

    /// <summary>Absolute volume indices of voxels stored as constants.</summary>
    public IReadOnlyList<int> ConstantVoxels => constant;

    /// <summary>The uint8 value of each constant voxel.</summary>
    public IReadOnlyList<byte> ConstantValues => constantValues;

    /// <summary>Null when every voxel of the shard was constant.</summary>
    public VoxelEnsemble? Ensemble { get; }

    /// <summary>[Vt] int64 indices of the trained voxels, for scattering ensemble outputs into a volume.</summary>
    internal Tensor TrainedIndex => trainedIndex ??= tensor(trained.Select(v => (long)v).ToArray()).DetachFromDisposeScope();

    /// <summary>Raw predictions [N, VoxelCount] (before post-processing) for scaled faces [N, 1024].</summary>
    public Tensor Forward(Tensor faces)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = zeros(faces.shape[0], VoxelCount);
        if (constant.Length > 0)
        {
            var values = tensor(constantValues.Select(b => b / 255f).ToArray());
            output.index_copy_(1, tensor(constant.Select(v => (long)(v - FirstVoxel)).ToArray()), values.expand(faces.shape[0], -1));
        }
        if (Ensemble is not null)
            output.index_copy_(1, TrainedIndex - FirstVoxel, Ensemble.forward(faces));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Faces N × 1024 uint8 → this shard's voxels N × VoxelCount uint8, post-processed.</summary>
    public byte[] Predict(ReadOnlySpan<byte> faces)
    {
        using var scope = NewDisposeScope();
        return VolumePostProcessing.ToByteArray(Forward(VolumePostProcessing.Scale(faces, VolumePostProcessing.FacePixels)));
    }

    public ModelManifest Save(Stream weights)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>
        {
            ("voxels.trained", tensor(trained)),
            ("voxels.constant", tensor(constant)),
            ("voxels.constant_value", tensor(constantValues)),
        };
        if (Ensemble is not null)
            for (int l = 0; l < Ensemble.Architecture.LayerCount; l++)
            {
                tensors.Add(($"layers.{l}.weight", Ensemble.LinearWeight(l)));
                tensors.Add(($"layers.{l}.bias", Ensemble.LinearBias(l)));
            }
        return Manifest = ModelFile.Save(weights, Manifest, tensors);
    }

    public static VoxelShard Load(Stream weights, ModelManifest? manifest = null)
    {
        var (m, tensors) = ModelFile.Load(weights, manifest, ModelKind.FaceNet2Shard);
        try
        {
            var a = m.Architecture;
            var range = m.Voxels ?? throw new ModelFormatException("The shard manifest has no voxel range.");
            int[] trained = ModelFile.Expect(tensors, "voxels.trained", ScalarType.Int32, a, range.Trained).data<int>().ToArray();
            int[] constant = ModelFile.Expect(tensors, "voxels.constant", ScalarType.Int32, a, range.Constant).data<int>().ToArray();
            byte[] values = ModelFile.Expect(tensors, "voxels.constant_value", ScalarType.Byte, a, range.Constant).data<byte>().ToArray();
            VoxelEnsemble? ensemble = null;
            if (range.Trained > 0)
            {
                var weightsList = new List<Tensor>();
                var biases = new List<Tensor>();
                for (int l = 0; l < a.LayerCount; l++)
                {
                    weightsList.Add(ModelFile.Expect(tensors, $"layers.{l}.weight", ScalarType.Float32, a, range.Trained, a.LayerOutputs(l), a.LayerInputs(l)));
                    biases.Add(ModelFile.Expect(tensors, $"layers.{l}.bias", ScalarType.Float32, a, range.Trained, a.LayerOutputs(l)));
                }
                ensemble = new VoxelEnsemble(a, weightsList, biases);
            }
            try
            {
                return new VoxelShard(m, trained, constant, values, ensemble);
            }
            catch (ArgumentException e)
            {
                ensemble?.Dispose();
                throw new ModelFormatException($"The shard file is inconsistent: {e.Message}", e);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        Ensemble?.Dispose();
        trainedIndex?.Dispose();
    }
}
