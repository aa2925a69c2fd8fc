using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using MassTransit;

namespace Trainer.Service.Jobs;

/// <summary>
/// Handles StartTraining: records the job (job.json, once per job id), checks its hyper-parameters and dataset, then
/// either fans FaceNet2 out as one TrainVoxelShard per missing shard or trains a single-network model here. Repeating
/// the command (a redelivery) re-publishes only the shards not yet stored.
/// </summary>
public sealed class TrainingJobCoordinator(
    TrainingJobStore jobs,
    TrainedModelStore models,
    TrainingDatasets datasets,
    TrainingJobOutcomes outcomes,
    FaceNet2Assembly assembly,
    WholeModelTraining wholeModel,
    ILogger<TrainingJobCoordinator> logger)
{
    public async Task StartAsync(StartTraining command, IPublishEndpoint bus, CancellationToken ct)
    {
        if (command.JobId == Guid.Empty) throw new ArgumentException("StartTraining needs a job id.");
        var (job, created) = await jobs.CreateAsync(TrainingJobOutcomes.NewJob(command), ct);
        if (job.IsFinished)
        {
            logger.LogInformation("Job {JobId} is already {State}; StartTraining ignored", job.JobId, job.State);
            return;
        }
        if (!created && job.State == TrainingJobState.Running) logger.LogInformation("Job {JobId} was running; resuming it", job.JobId);

        try
        {
            TrainingJobOptions.Validate(job.Request);
            var dataset = await datasets.DescribeForAsync(job.DatasetId, job.Model, ct);
            await datasets.VerifyFilesPresentAsync(dataset, ct);
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or FormatException or InvalidDataException)
        {
            // Bad input: record why and let the exception reach the bus, whose retry policy ignores these types.
            await outcomes.FailAsync(job.JobId, e.Message, bus, ct);
            throw;
        }

        if (job.Model == TrainingModel.FaceNet2) await FanOutAsync(job, bus, ct);
        else await wholeModel.RunAsync(job, bus, ct);
    }

    private async Task FanOutAsync(TrainingJob job, IPublishEndpoint bus, CancellationToken ct)
    {
        await jobs.UpdateAsync(job.JobId, j => j.IsFinished || j.State == TrainingJobState.Running ? null : j with
        {
            State = TrainingJobState.Running,
            StartedAt = j.StartedAt ?? DateTimeOffset.UtcNow,
        }, ct);
        var plan = VoxelShardPlan.Split(job.ShardSize);
        var missing = VoxelShardPlan.Missing(plan, await models.ListStoredShardsAsync(job.JobId, ct));
        logger.LogInformation("Job {JobId}: FaceNet2 on {DatasetId} as {Shards} shards of {Size} voxels; publishing {Missing}",
            job.JobId, job.DatasetId, plan.Count, job.ShardSize, missing.Count);
        if (missing.Count == 0)
        {
            await assembly.TryCompleteAsync(job.JobId, bus, ct);
            return;
        }
        // One at a time, in voxel order: replicas then take shards roughly in order, which keeps progress easy to follow.
        foreach (var range in missing)
            await bus.Publish(new TrainVoxelShard
            {
                ContractVersion = HeadsCompatibility.ContractVersion,
                JobId = job.JobId,
                DatasetId = job.DatasetId,
                FirstVoxel = range.First,
                VoxelCount = range.Count,
            }, ct);
    }
}
