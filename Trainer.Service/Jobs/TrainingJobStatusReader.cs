using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;

namespace Trainer.Service.Jobs;

/// <summary>Builds what the API shows from storage alone (job.json, progress blobs, stored shards), so every replica gives the same answer.</summary>
public sealed class TrainingJobStatusReader(TrainingJobStore jobs, TrainedModelStore models)
{
    /// <summary>A running shard's progress older than this is from a replica that stopped; it no longer counts as running.</summary>
    private static readonly TimeSpan StaleProgress = TimeSpan.FromMinutes(2);

    public async Task<TrainingJobStatus?> FindAsync(Guid jobId, CancellationToken ct)
    {
        var job = await jobs.FindAsync(jobId, ct);
        return job is null ? null : await StatusAsync(job, ct);
    }

    /// <summary>The newest jobs first.</summary>
    public async Task<IReadOnlyList<TrainingJobStatus>> ListAsync(int limit, CancellationToken ct)
    {
        var ids = await jobs.ListJobIdsAsync(ct);
        var found = new List<TrainingJob>();
        foreach (var chunk in ids.Chunk(16))
            found.AddRange((await Task.WhenAll(chunk.Select(id => jobs.FindAsync(id, ct)))).OfType<TrainingJob>());
        var newest = found.OrderByDescending(j => j.CreatedAt).Take(limit).ToList();
        return await Task.WhenAll(newest.Select(j => StatusAsync(j, ct)));
    }

    public async Task<TrainingJobStatus> StatusAsync(TrainingJob job, CancellationToken ct)
    {
        var status = new TrainingJobStatus
        {
            JobId = job.JobId,
            Model = job.Model,
            DatasetId = job.DatasetId,
            State = job.State,
            CreatedAt = job.CreatedAt,
            StartedAt = job.StartedAt,
            FinishedAt = job.FinishedAt,
            ShardsTotal = job.ShardsTotal,
            Error = job.Error,
            ManifestBlob = job.ManifestBlob,
            LatestLoss = job.FinalLoss,
            PrunedVoxels = job.PrunedVoxels,
            Quality = job.Quality,
            Promotion = job.Promotion,
            Request = job.Request,
            Replicas = job.Replica is null ? [] : [job.Replica],
        };
        return job.Model == TrainingModel.FaceNet2 && job.ShardSize > 0
            ? await WithShardsAsync(status, job, ct)
            : await WithProgressAsync(status, job, ct);
    }

    private async Task<TrainingJobStatus> WithProgressAsync(TrainingJobStatus status, TrainingJob job, CancellationToken ct)
    {
        var progress = await jobs.ReadProgressAsync(job.JobId, ct);
        if (progress is null) return status;
        double? eta = job.State == TrainingJobState.Running && progress.EtaSeconds is double e
            ? Math.Max(0, e - (DateTimeOffset.UtcNow - progress.UpdatedAt).TotalSeconds)
            : job.State == TrainingJobState.Completed ? 0 : null;
        return status with
        {
            Epoch = progress.Epoch,
            Epochs = progress.Epochs,
            LatestLoss = status.State == TrainingJobState.Completed ? status.LatestLoss ?? progress.Loss : progress.Loss,
            SamplesPerSecond = progress.SamplesPerSecond,
            Progress = job.State == TrainingJobState.Completed ? 1 : progress.Fraction,
            EtaSeconds = eta,
        };
    }

    private async Task<TrainingJobStatus> WithShardsAsync(TrainingJobStatus status, TrainingJob job, CancellationToken ct)
    {
        var storedTask = models.ListStoredShardsAsync(job.JobId, ct);
        var progressTask = jobs.ReadShardProgressAsync(job.JobId, ct);
        var stored = (await storedTask).ToHashSet();
        var progress = await progressTask;
        var now = DateTimeOffset.UtcNow;
        var running = job.IsFinished
            ? []
            : progress.Where(p => !stored.Contains(p.Range) && !p.Progress.Finished && now - p.Progress.UpdatedAt < StaleProgress).ToList();
        var newest = progress.OrderByDescending(p => p.Progress.UpdatedAt).Select(p => p.Progress).FirstOrDefault();

        int done = stored.Count;
        double? fraction = null, eta = null;
        if (status.ShardsTotal > 0)
        {
            // Shards of one job are (nearly) the same size, so progress counts in shards, in-flight ones by their share done.
            double effective = done + running.Sum(r => r.Progress.Fraction);
            fraction = Math.Clamp(effective / status.ShardsTotal, 0, 1);
            if (job.State == TrainingJobState.Completed) { fraction = 1; eta = 0; }
            else if (job.State == TrainingJobState.Running && job.StartedAt is { } started && effective > 0)
            {
                double elapsed = (now - started).TotalSeconds;
                eta = elapsed * (status.ShardsTotal - effective) / effective;
            }
        }
        return status with
        {
            ShardsDone = done,
            ShardsRunning = running.Count,
            Epoch = running.Count > 0 ? running.Max(r => r.Progress.Epoch) : newest?.Epoch,
            Epochs = newest?.Epochs,
            LatestLoss = status.State == TrainingJobState.Completed ? status.LatestLoss : newest?.Loss ?? status.LatestLoss,
            SamplesPerSecond = running.Count > 0 ? running.Sum(r => r.Progress.SamplesPerSecond) : newest?.SamplesPerSecond,
            Progress = fraction,
            EtaSeconds = eta,
            Replicas = progress.Select(p => p.Progress.Replica).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        };
    }
}
