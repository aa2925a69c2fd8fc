using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using MassTransit;

namespace Trainer.Service.Jobs;

/// <summary>
/// The ends of a job. Each is a conditional transition of job.json, and only the call that makes the transition publishes
/// the event, so however many replicas, redeliveries or fault messages reach the same end, the event goes out once.
/// </summary>
public sealed class TrainingJobOutcomes(TrainingJobStore jobs, ILogger<TrainingJobOutcomes> logger)
{
    /// <summary>Fails a queued or running job (creating job.json from <paramref name="request"/> if it is missing); true when this call failed it.</summary>
    public async Task<bool> FailAsync(Guid jobId, string reason, IPublishEndpoint bus, CancellationToken ct, StartTraining? request = null)
    {
        if (request is not null && await jobs.FindAsync(jobId, ct) is null)
            await jobs.CreateAsync(NewJob(request), ct);
        var result = await jobs.UpdateAsync(jobId, job => job.IsFinished ? null : job with
        {
            State = TrainingJobState.Failed,
            Error = reason,
            FinishedAt = DateTimeOffset.UtcNow,
        }, ct);
        if (result is not { Changed: true }) return false;
        logger.LogWarning("Job {JobId} failed: {Reason}", jobId, reason);
        TrainerMetrics.JobEnded(result.Value.Job.Model, TrainingJobState.Failed);
        await bus.Publish(new TrainingFailed { JobId = jobId, Reason = reason }, ct);
        return true;
    }

    /// <summary>Cancels a queued or running job; true when this call cancelled it. Publishes TrainingFailed: the job ends without a model.</summary>
    public async Task<(TrainingJob? Job, bool Cancelled)> CancelAsync(Guid jobId, IPublishEndpoint bus, CancellationToken ct)
    {
        var result = await jobs.UpdateAsync(jobId, job => job.IsFinished ? null : job with
        {
            State = TrainingJobState.Cancelled,
            Error = "Cancelled by request.",
            FinishedAt = DateTimeOffset.UtcNow,
        }, ct);
        if (result is null) return (null, false);
        if (!result.Value.Changed) return (result.Value.Job, false);
        logger.LogInformation("Job {JobId} cancelled", jobId);
        TrainerMetrics.JobEnded(result.Value.Job.Model, TrainingJobState.Cancelled);
        await bus.Publish(new TrainingFailed { JobId = jobId, Reason = "Cancelled by request." }, ct);
        return (result.Value.Job, true);
    }

    /// <summary>
    /// Marks the job completed after its manifest was committed and publishes ModelTrained, once: a committed manifest is
    /// the model, so this wins over any state but completed (a cancel or a stray shard fault that raced the commit).
    /// </summary>
    public async Task<bool> CompleteAsync(TrainingJobManifest manifest, IPublishEndpoint bus, CancellationToken ct)
    {
        var result = await jobs.UpdateAsync(manifest.JobId, job => job.State == TrainingJobState.Completed ? null : job with
        {
            State = TrainingJobState.Completed,
            Error = null,
            FinishedAt = DateTimeOffset.UtcNow,
            ManifestBlob = TrainingJobLayout.ManifestPath(manifest.JobId),
            FinalLoss = manifest.EpochLosses.Count > 0 ? manifest.EpochLosses[^1] : null,
            PrunedVoxels = manifest.Model == TrainingModel.FaceNet2 ? manifest.PrunedVoxels : null,
            Quality = manifest.Quality,
            Promotion = manifest.Promotion,
        }, ct);
        if (result is not { Changed: true }) return false;
        logger.LogInformation("Job {JobId}: {Model} on {DatasetId} committed to {Manifest}", manifest.JobId, manifest.Model, manifest.DatasetId, TrainingJobLayout.ManifestPath(manifest.JobId));
        TrainerMetrics.JobEnded(manifest.Model, TrainingJobState.Completed);
        if (manifest.Promotion is { } promotion) TrainerMetrics.ModelJudged(manifest.Model, manifest.Quality, promotion);
        await bus.Publish(new ModelTrained
        {
            JobId = manifest.JobId,
            Model = manifest.Model,
            DatasetId = manifest.DatasetId,
            ManifestBlob = TrainingJobLayout.ManifestPath(manifest.JobId),
        }, ct);
        return true;
    }

    public static TrainingJob NewJob(StartTraining request)
    {
        int shardSize = 0, shards = 0;
        if (request.Model == TrainingModel.FaceNet2)
        {
            try
            {
                shardSize = TrainingJobOptions.ShardSize(request);
                shards = VoxelShardPlan.ShardCount(shardSize);
            }
            catch (ArgumentException)
            {
                // Stored as requested; validation fails the job with the reason.
            }
        }
        return new TrainingJob
        {
            JobId = request.JobId,
            Model = request.Model,
            DatasetId = request.DatasetId,
            Request = request,
            ShardSize = shardSize,
            ShardsTotal = shards,
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }
}
