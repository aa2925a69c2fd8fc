using Heads.Core.Models;

namespace Heads.Core.Training.Jobs;

/// <summary>
/// FaceNet2 predictions that load one stored shard at a time (checked against its manifest's SHA-256), so a whole job can
/// be evaluated with one shard's networks in memory instead of all 32768. Gives the same volumes as a <see cref="FaceNet2Model"/>
/// built from the same shards, since post-processing is per voxel.
/// </summary>
public sealed class ShardSequencePredictor : IVolumePredictor
{
    private readonly IReadOnlyList<ModelManifest> shards;
    private readonly Func<ModelManifest, Stream> openWeights;

    /// <param name="shards">Shard manifests covering every voxel exactly once.</param>
    /// <param name="openWeights">Opens the safetensors weights of a shard; the stream is disposed after loading.</param>
    public ShardSequencePredictor(IReadOnlyList<ModelManifest> shards, Func<ModelManifest, Stream> openWeights)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(openWeights);
        foreach (var m in shards) m.ExpectKind(ModelKind.FaceNet2Shard);
        VoxelShardPlan.CheckCoverage(shards.Select(m => m.Voxels is { } v
            ? new VoxelShardRange(v.First, v.Count)
            : throw new ModelFormatException("A shard manifest has no voxel range.")));
        this.shards = shards;
        this.openWeights = openWeights;
    }

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        if (faces.Length % VolumePostProcessing.FacePixels != 0)
            throw new ArgumentException($"Faces must be N × {VolumePostProcessing.FacePixels} bytes; got {faces.Length}.", nameof(faces));
        int n = faces.Length / VolumePostProcessing.FacePixels;
        var volumes = new byte[(long)n * VolumePostProcessing.VolumeVoxels];
        foreach (var manifest in shards)
        {
            byte[] part;
            using (var stream = openWeights(manifest))
            using (var shard = VoxelShard.Load(stream, manifest))
                part = shard.Predict(faces);
            var range = manifest.Voxels!;
            for (int s = 0; s < n; s++)
                part.AsSpan(s * range.Count, range.Count).CopyTo(volumes.AsSpan(s * VolumePostProcessing.VolumeVoxels + range.First));
        }
        return volumes;
    }
}
