using System.Diagnostics;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Trainer.Service.Jobs;

public enum ShardOutcome
{
    Trained,
    /// <summary>Already stored by an earlier delivery or another replica.</summary>
    AlreadyStored,
    /// <summary>The job is over (completed, failed or cancelled); nothing to do.</summary>
    JobFinished,
    CancelledByRequest,
}

/// <summary>
/// Trains one FaceNet2 voxel shard on this replica and commits it (weights, then the manifest as the commit marker), then
/// runs the job's completion check. A shard already stored is not trained again, but the completion check still runs, so
/// a redelivery after a crash between commit and check finishes the job.
/// </summary>
public sealed class VoxelShardTraining(
    TrainingJobStore jobs,
    TrainedModelStore models,
    TrainingDatasets datasets,
    FaceNet2Assembly assembly,
    IOptions<TrainerOptions> options,
    ILogger<VoxelShardTraining> logger)
{
    public async Task<ShardOutcome> RunAsync(TrainVoxelShard command, IPublishEndpoint bus, CancellationToken ct)
    {
        if (command.ContractVersion != HeadsCompatibility.ContractVersion)
            throw new IncompatibleMessageException($"Shard {command.FirstVoxel}+{command.VoxelCount} of job {command.JobId} was sent with message contracts " +
                $"v{command.ContractVersion}; this replica runs v{HeadsCompatibility.ContractVersion}. Run the same commit on every machine.");
        var range = new VoxelShardRange(command.FirstVoxel, command.VoxelCount);
        var job = await jobs.FindAsync(command.JobId, ct) ?? throw new UnknownTrainingJobException(command.JobId);
        if (job.IsFinished)
        {
            logger.LogInformation("Job {JobId} is {State}; {Shard} not trained", command.JobId, job.State, range);
            TrainerMetrics.Shards.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));
            return ShardOutcome.JobFinished;
        }
        if (job.Model != TrainingModel.FaceNet2 || !VoxelShardPlan.Split(job.ShardSize).Contains(range))
            throw new ArgumentException($"Job {command.JobId} ({job.Model}, shard size {job.ShardSize}) has no shard {range}.");

        if (await models.IsShardStoredAsync(command.JobId, range, ct))
        {
            TrainerMetrics.Shards.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));
            logger.LogInformation("Job {JobId}: {Shard} already stored; checking completion", command.JobId, range);
            await assembly.TryCompleteAsync(command.JobId, bus, ct);
            return ShardOutcome.AlreadyStored;
        }
        if (await jobs.IsCancelRequestedAsync(command.JobId, ct)) return ShardOutcome.CancelledByRequest;

        var settings = options.Value;
        var engineOptions = TrainingJobOptions.FaceNet2(job.Request, settings.EffectiveTorchThreads);
        var data = await datasets.LoadFaceNetAsync(job.DatasetId, ct);

        using var activity = HeadsTelemetry.ActivitySource.StartActivity("train voxel shard");
        activity?.SetTag("heads.job.id", command.JobId);
        activity?.SetTag("heads.shard.first_voxel", range.First);
        activity?.SetTag("heads.shard.voxel_count", range.Count);
        activity?.SetTag("heads.replica", settings.EffectiveReplicaName);
        // Memory the shard may need (all its voxels trained): a replica short of memory is given smaller shards (ShardSize).
        int samples = engineOptions.SampleLimit is int limit ? Math.Min(limit, data.Fit.Count) : data.Fit.Count;
        long bytes = VoxelShardTrainer.EstimatedBytes(engineOptions, range.Count, samples);
        activity?.SetTag("heads.shard.memory_bytes", bytes);
        activity?.SetTag("heads.shard.engine", engineOptions.Engine.ToString());
        logger.LogInformation("Job {JobId}: training {Shard} on {Samples} samples, {Engine} engine, {Threads} threads, up to {MiB:F0} MiB",
            command.JobId, range, samples, engineOptions.Engine, engineOptions.Threads, bytes / 1048576.0);
        var clock = Stopwatch.StartNew();
        VoxelShard shard;
        await using (var monitor = new TrainingMonitor(jobs, command.JobId, range, TrainingModel.FaceNet2, settings.EffectiveReplicaName, settings, logger, ct, engineOptions.EnsembleSize))
        {
            try
            {
                shard = await TrainingThread.RunAsync(() => VoxelShardTrainer.Train(data.Fit, range.First, range.Count, engineOptions, monitor, monitor.Token), monitor.Token);
            }
            catch (OperationCanceledException) when (monitor.CancelledByRequest && !ct.IsCancellationRequested)
            {
                activity?.SetTag("heads.shard.outcome", "cancelled");
                logger.LogInformation("Job {JobId}: {Shard} stopped, the job was cancelled", command.JobId, range);
                return ShardOutcome.CancelledByRequest;
            }
            await monitor.StopAsync();
            await monitor.FlushAsync(finished: true, ct);
        }

        using (shard)
        {
            var voxels = shard.Manifest.Voxels!;
            double finalLoss = shard.Manifest.EpochLosses.Count > 0 ? shard.Manifest.EpochLosses[^1] : 0;
            await using var weights = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            var manifest = shard.Save(weights);
            var commit = await models.CommitShardAsync(command.JobId, range, weights, manifest, ct);
            double seconds = clock.Elapsed.TotalSeconds;
            activity?.SetTag("heads.shard.pruned", voxels.Constant);
            activity?.SetTag("heads.shard.commit", commit.ToString());
            TrainerMetrics.Shards.Add(1, new KeyValuePair<string, object?>("outcome", "trained"));
            TrainerMetrics.ShardDuration.Record(seconds);
            logger.LogInformation("Job {JobId}: {Shard} trained in {Seconds:F1} s ({Trained} networks, {Pruned} pruned, final loss {Loss:G4}); {Commit}",
                command.JobId, range, seconds, voxels.Trained, voxels.Constant, finalLoss, commit);
            // A duplicate that committed first has announced the shard already.
            if (commit != ShardCommit.AlreadyStored)
                await bus.Publish(new VoxelShardTrained
            {
                JobId = command.JobId,
                FirstVoxel = range.First,
                VoxelCount = range.Count,
                PrunedVoxels = voxels.Constant,
                FinalLoss = finalLoss,
                Seconds = seconds,
                Replica = settings.EffectiveReplicaName,
            }, ct);
        }
        await assembly.TryCompleteAsync(command.JobId, bus, ct);
        return ShardOutcome.Trained;
    }
}
