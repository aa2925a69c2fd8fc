using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Heads.Core.Models;
using Heads.Core.Training.Jobs;

namespace Trainer.Service.Jobs;

public enum ShardCommit
{
    /// <summary>This call wrote the shard's manifest.</summary>
    Stored,
    /// <summary>The shard was already committed (by an earlier delivery or a duplicate); nothing of it changed.</summary>
    AlreadyStored,
    /// <summary>A duplicate committed first, then this call's weights replaced its weights, so this call rewrote the manifest to match.</summary>
    Repaired,
}

/// <summary>Trained weights and manifests in the models container: FaceNet2 shards, single-network weights, the job manifest.</summary>
public sealed class TrainedModelStore(HeadsBlobContainers containers)
{
    public BlobContainerClient Models => containers.Models;

    /// <summary>The committed shards of a job: those whose manifest (the commit marker) exists.</summary>
    public async Task<IReadOnlyList<VoxelShardRange>> ListStoredShardsAsync(Guid jobId, CancellationToken ct)
    {
        var folder = TrainingJobLayout.ShardsFolder(jobId);
        var ranges = new List<VoxelShardRange>();
        await foreach (var item in Models.GetBlobsAsync(BlobTraits.None, BlobStates.None, folder, ct))
            if (TrainingJobLayout.TryParseRange(item.Name, folder, out var range)) ranges.Add(range);
        return ranges;
    }

    public async Task<bool> IsShardStoredAsync(Guid jobId, VoxelShardRange range, CancellationToken ct) =>
        (await Models.GetBlobClient(TrainingJobLayout.ShardManifestBlob(jobId, range)).ExistsAsync(ct)).Value;

    /// <summary>
    /// Stores a trained shard: weights first, then its manifest with a create-only write (the commit). Duplicates are
    /// harmless: a shard already committed is left alone; if a duplicate committed between this call's check and its
    /// weights upload, whichever wrote the weights last makes the manifest describe them (it checks the weights' ETag).
    /// </summary>
    public async Task<ShardCommit> CommitShardAsync(Guid jobId, VoxelShardRange range, Stream weights, ModelManifest manifest, CancellationToken ct)
    {
        var manifestBlob = Models.GetBlobClient(TrainingJobLayout.ShardManifestBlob(jobId, range));
        var weightsBlob = Models.GetBlobClient(TrainingJobLayout.ShardWeightsBlob(jobId, range));
        if ((await manifestBlob.ExistsAsync(ct)).Value) return ShardCommit.AlreadyStored;

        weights.Position = 0;
        var uploaded = await weightsBlob.UploadAsync(weights, overwrite: true, ct);
        var json = BinaryData.FromString(manifest.ToJson());
        for (int attempt = 0; attempt < 10; attempt++)
        {
            if (await StorageConditions.TryCreateAsync(manifestBlob, json, ct)) return ShardCommit.Stored;
            var existing = await manifestBlob.DownloadContentAsync(ct);
            var theirs = ModelManifest.FromJson(existing.Value.Content.ToString());
            if (string.Equals(theirs.WeightsSha256, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase)) return ShardCommit.AlreadyStored;
            var current = await weightsBlob.GetPropertiesAsync(cancellationToken: ct);
            // Someone uploaded weights after us: their manifest describes the blob (or they will make it so).
            if (current.Value.ETag != uploaded.Value.ETag) return ShardCommit.AlreadyStored;
            if (await StorageConditions.TryReplaceAsync(manifestBlob, json, existing.Value.Details.ETag, ct)) return ShardCommit.Repaired;
        }
        throw new InvalidOperationException($"Shard {range} of job {jobId}: its manifest kept changing while committing.");
    }

    public async Task<ModelManifest> ReadShardManifestAsync(Guid jobId, VoxelShardRange range, CancellationToken ct)
    {
        var result = await Models.GetBlobClient(TrainingJobLayout.ShardManifestBlob(jobId, range)).DownloadContentAsync(ct);
        return ModelManifest.FromJson(result.Value.Content.ToString());
    }

    /// <summary>A synchronous read of a shard's weights, for loading inside the (synchronous) training engine.</summary>
    public Stream OpenShardWeights(Guid jobId, VoxelShardRange range) =>
        Models.GetBlobClient(TrainingJobLayout.ShardWeightsBlob(jobId, range)).OpenRead();

    /// <summary>Uploads single-network weights under this attempt's own name and returns that name.</summary>
    public async Task<string> UploadWeightsAsync(Guid jobId, string attempt, Stream weights, CancellationToken ct)
    {
        var name = TrainingJobLayout.WeightsBlob(jobId, attempt);
        weights.Position = 0;
        await Models.GetBlobClient(name).UploadAsync(weights, overwrite: true, ct);
        return name;
    }

    public Task DeleteIfExistsAsync(string blobName, CancellationToken ct) => Models.GetBlobClient(blobName).DeleteIfExistsAsync(cancellationToken: ct);

    /// <summary>The job's one commit: true when this call created models/{job}/manifest.json, false when it existed.</summary>
    public Task<bool> TryCreateManifestAsync(TrainingJobManifest manifest, CancellationToken ct) =>
        StorageConditions.TryCreateAsync(Models.GetBlobClient(TrainingJobLayout.ManifestBlob(manifest.JobId)), new BinaryData(manifest.ToJson()), ct);

    /// <summary>When the job manifest was written, or null when it does not exist.</summary>
    public async Task<DateTimeOffset?> ManifestWrittenAtAsync(Guid jobId, CancellationToken ct)
    {
        try
        {
            return (await Models.GetBlobClient(TrainingJobLayout.ManifestBlob(jobId)).GetPropertiesAsync(cancellationToken: ct)).Value.LastModified;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<TrainingJobManifest?> ReadManifestAsync(Guid jobId, CancellationToken ct)
    {
        try
        {
            var result = await Models.GetBlobClient(TrainingJobLayout.ManifestBlob(jobId)).DownloadContentAsync(ct);
            return TrainingJobManifest.Parse(result.Value.Content.ToMemory().Span);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>models/pins.json, or no pins when it does not exist.</summary>
    public async Task<ModelPins> ReadPinsAsync(CancellationToken ct)
    {
        try
        {
            var result = await Models.GetBlobClient(ModelPins.BlobName).DownloadContentAsync(ct);
            return ModelPins.Parse(result.Value.Content.ToMemory().Span);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new ModelPins();
        }
    }

    /// <summary>A model's picture (gallery.png, losses.png); replaced whole, never half-written (one upload).</summary>
    public async Task UploadPictureAsync(string blobName, byte[] png, CancellationToken ct) =>
        await Models.GetBlobClient(blobName).UploadAsync(new BinaryData(png),
            new Azure.Storage.Blobs.Models.BlobUploadOptions { HttpHeaders = new Azure.Storage.Blobs.Models.BlobHttpHeaders { ContentType = "image/png" } }, ct);
}
