using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Heads.Core.Training.Jobs;

namespace Trainer.Service.Jobs;

/// <summary>
/// Job state in blob storage, so that any replica answers for any job: job.json read with its ETag and replaced only
/// with If-Match (a lost race re-reads and re-applies the change), progress blobs, and the cancel marker.
/// </summary>
public sealed class TrainingJobStore(HeadsBlobContainers containers)
{
    private const int MaxConflictRetries = 50;

    public BlobContainerClient Models => containers.Models;

    /// <summary>Writes job.json unless it exists; returns the stored job either way and whether this call created it.</summary>
    public async Task<(TrainingJob Job, bool Created)> CreateAsync(TrainingJob job, CancellationToken ct)
    {
        var blob = Models.GetBlobClient(TrainingJobLayout.JobBlob(job.JobId));
        if (await StorageConditions.TryCreateAsync(blob, TrainerJson.Serialize(job), ct)) return (job, true);
        var existing = await ReadAsync(job.JobId, ct)
            ?? throw new InvalidOperationException($"job.json of {job.JobId} exists and vanished again.");
        return (existing.Job, false);
    }

    public async Task<(TrainingJob Job, ETag ETag)?> ReadAsync(Guid jobId, CancellationToken ct)
    {
        try
        {
            var result = await Models.GetBlobClient(TrainingJobLayout.JobBlob(jobId)).DownloadContentAsync(ct);
            return (TrainerJson.Deserialize<TrainingJob>(result.Value.Content, $"job.json of job {jobId}"), result.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<TrainingJob?> FindAsync(Guid jobId, CancellationToken ct) => (await ReadAsync(jobId, ct))?.Job;

    /// <summary>
    /// Applies <paramref name="change"/> (null: leave as is) with an If-Match write, re-reading after a conflict. Returns the
    /// job after the call and whether this call changed it; null when the job does not exist.
    /// </summary>
    public async Task<(TrainingJob Job, bool Changed)?> UpdateAsync(Guid jobId, Func<TrainingJob, TrainingJob?> change, CancellationToken ct)
    {
        var blob = Models.GetBlobClient(TrainingJobLayout.JobBlob(jobId));
        for (int attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var current = await ReadAsync(jobId, ct);
            if (current is null) return null;
            var next = change(current.Value.Job);
            if (next is null || next == current.Value.Job) return (current.Value.Job, false);
            if (await StorageConditions.TryReplaceAsync(blob, TrainerJson.Serialize(next), current.Value.ETag, ct)) return (next, true);
            await Task.Delay(Random.Shared.Next(5, 20 + attempt * 10), ct);
        }
        throw new InvalidOperationException($"job.json of {jobId} kept changing under {MaxConflictRetries} conditional writes.");
    }

    /// <summary>Every job id with a top-level folder in the models container.</summary>
    public async Task<IReadOnlyList<Guid>> ListJobIdsAsync(CancellationToken ct)
    {
        var ids = new List<Guid>();
        await foreach (var item in Models.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", null, ct))
            if (item.IsPrefix && TrainingJobLayout.JobIdOfFolder(item.Prefix) is { } id) ids.Add(id);
        return ids;
    }

    public Task WriteProgressAsync(Guid jobId, TrainingJobProgress progress, CancellationToken ct) =>
        Models.GetBlobClient(TrainingJobLayout.ProgressBlob(jobId)).UploadAsync(TrainerJson.Serialize(progress), overwrite: true, ct);

    public Task WriteShardProgressAsync(Guid jobId, VoxelShardRange range, TrainingJobProgress progress, CancellationToken ct) =>
        Models.GetBlobClient(TrainingJobLayout.ShardProgressBlob(jobId, range)).UploadAsync(TrainerJson.Serialize(progress), overwrite: true, ct);

    public async Task<TrainingJobProgress?> ReadProgressAsync(Guid jobId, CancellationToken ct)
    {
        try
        {
            var result = await Models.GetBlobClient(TrainingJobLayout.ProgressBlob(jobId)).DownloadContentAsync(ct);
            return TrainerJson.Deserialize<TrainingJobProgress>(result.Value.Content, $"progress of job {jobId}");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The progress blobs of a FaceNet2 job's shards, running or finished.</summary>
    public async Task<IReadOnlyList<(VoxelShardRange Range, TrainingJobProgress Progress)>> ReadShardProgressAsync(Guid jobId, CancellationToken ct)
    {
        var folder = TrainingJobLayout.ShardProgressFolder(jobId);
        var names = new List<(VoxelShardRange, string)>();
        await foreach (var item in Models.GetBlobsAsync(BlobTraits.None, BlobStates.None, folder, ct))
            if (TrainingJobLayout.TryParseRange(item.Name, folder, out var range)) names.Add((range, item.Name));
        var read = await Task.WhenAll(names.Select(async n =>
        {
            try
            {
                var result = await Models.GetBlobClient(n.Item2).DownloadContentAsync(ct);
                return ((VoxelShardRange, TrainingJobProgress)?)(n.Item1, TrainerJson.Deserialize<TrainingJobProgress>(result.Value.Content, n.Item2));
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
        }));
        return read.Where(r => r is not null).Select(r => r!.Value).ToList();
    }

    /// <summary>Writes the cancel marker every replica working on the job looks for.</summary>
    public Task RequestCancelAsync(Guid jobId, CancellationToken ct) =>
        Models.GetBlobClient(TrainingJobLayout.CancelBlob(jobId)).UploadAsync(BinaryData.FromString(DateTimeOffset.UtcNow.ToString("O")), overwrite: true, ct);

    public async Task<bool> IsCancelRequestedAsync(Guid jobId, CancellationToken ct) =>
        (await Models.GetBlobClient(TrainingJobLayout.CancelBlob(jobId)).ExistsAsync(ct)).Value;
}

/// <summary>Conditional blob writes: create-only (If-None-Match: *) and replace-if-unchanged (If-Match).</summary>
public static class StorageConditions
{
    /// <summary>True when this call created the blob; false when it already existed.</summary>
    public static async Task<bool> TryCreateAsync(BlobClient blob, BinaryData content, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>True when the blob still had <paramref name="etag"/> and now holds <paramref name="content"/>.</summary>
    public static async Task<bool> TryReplaceAsync(BlobClient blob, BinaryData content, ETag etag, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = etag } }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }
}
