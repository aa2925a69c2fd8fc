using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// FaceNet2 assembled from <see cref="VoxelShard"/>s covering voxels 0..32767 (added one by one, as they load). Prediction
/// runs each shard's networks as one ensemble and scatters their outputs into the volume; pruned voxels take their constants.
/// </summary>
public sealed class FaceNet2Model : IVolumePredictor, IDisposable
{
    private readonly List<VoxelShard> shards = [];
    private readonly int[] owner = Enumerable.Repeat(-1, VolumePostProcessing.VolumeVoxels).ToArray();
    private readonly float[] constants = new float[VolumePostProcessing.VolumeVoxels];
    private int covered;

    public FaceNet2Model() { }

    public FaceNet2Model(IEnumerable<VoxelShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        foreach (var s in shards) Add(s);
    }

    public IReadOnlyList<VoxelShard> Shards => shards;

    public bool IsComplete => covered == VolumePostProcessing.VolumeVoxels;

    /// <summary>Voxel ranges no shard covers yet, as (first, count).</summary>
    public IReadOnlyList<(int First, int Count)> MissingRanges
    {
        get
        {
            var missing = new List<(int, int)>();
            for (int v = 0; v < owner.Length; v++)
            {
                if (owner[v] >= 0) continue;
                int start = v;
                while (v < owner.Length && owner[v] < 0) v++;
                missing.Add((start, v - start));
            }
            return missing;
        }
    }

    /// <summary>Takes ownership of <paramref name="shard"/>; its voxels must not overlap those already added.</summary>
    public void Add(VoxelShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        for (int v = shard.FirstVoxel; v < shard.FirstVoxel + shard.VoxelCount; v++)
            if (owner[v] >= 0)
                throw new ArgumentException($"Shard {shard.FirstVoxel}..{shard.FirstVoxel + shard.VoxelCount - 1} overlaps shard {shards[owner[v]].FirstVoxel}..{shards[owner[v]].FirstVoxel + shards[owner[v]].VoxelCount - 1} at voxel {v}.", nameof(shard));
        for (int v = shard.FirstVoxel; v < shard.FirstVoxel + shard.VoxelCount; v++) owner[v] = shards.Count;
        for (int i = 0; i < shard.ConstantVoxels.Count; i++) constants[shard.ConstantVoxels[i]] = shard.ConstantValues[i] / 255f;
        covered += shard.VoxelCount;
        shards.Add(shard);
    }

    /// <summary>Raw predictions [N, 32768] for scaled faces [N, 1024].</summary>
    public Tensor Forward(Tensor faces)
    {
        if (!IsComplete)
        {
            var gaps = MissingRanges;
            throw new InvalidOperationException($"FaceNet2 is missing {VolumePostProcessing.VolumeVoxels - covered} voxels, e.g. {gaps[0].First}..{gaps[0].First + gaps[0].Count - 1} ({gaps.Count} gaps); add the remaining shards first.");
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = faces.shape[0];
        var output = tensor(constants).expand(n, -1).contiguous();
        foreach (var shard in shards)
            if (shard.Ensemble is not null)
                output.index_copy_(1, shard.TrainedIndex, shard.Ensemble.forward(faces));
        return output.MoveToOuterDisposeScope();
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
        VolumePostProcessing.CopyBytes(Forward(VolumePostProcessing.Scale(faces, VolumePostProcessing.FacePixels)), volumes);
    }

    public void Dispose()
    {
        foreach (var s in shards) s.Dispose();
        shards.Clear();
    }
}
