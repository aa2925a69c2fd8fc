using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Trainer.Service.Jobs;

public enum CompletionCheck
{
    /// <summary>Some shards are not stored yet.</summary>
    NotReady,
    /// <summary>The job is over (cancelled, failed or completed) or unknown.</summary>
    JobFinished,
    /// <summary>Every shard was stored but another check committed the manifest first.</summary>
    AlreadyCommitted,
    /// <summary>This check wrote the manifest (and published ModelTrained).</summary>
    Committed,
}

/// <summary>
/// Decides from storage whether a FaceNet2 job is complete: when every planned shard's manifest exists it assembles the job
/// manifest (shard blobs, losses, pruned counts, hyper-parameters), evaluates the model on the held-out heads one shard at
/// a time, and commits with one create-only write. Any replica may run it after any shard; concurrent checks race on that
/// write and exactly one wins.
/// </summary>
public sealed class FaceNet2Assembly(
    TrainingJobStore jobs,
    TrainedModelStore models,
    TrainingDatasets datasets,
    TrainingJobOutcomes outcomes,
    PromotionGate gate,
    TrainedModelPictures pictures,
    IOptions<TrainerOptions> options,
    ILogger<FaceNet2Assembly> logger)
{
    public async Task<CompletionCheck> TryCompleteAsync(Guid jobId, IPublishEndpoint bus, CancellationToken ct)
    {
        var job = await jobs.FindAsync(jobId, ct);
        if (job is null || job.IsFinished) return CompletionCheck.JobFinished;
        if (job.Model != TrainingModel.FaceNet2) throw new ArgumentException($"Job {jobId} trains {job.Model}, not FaceNet2.");
        var plan = VoxelShardPlan.Split(job.ShardSize);
        var stored = await models.ListStoredShardsAsync(jobId, ct);
        if (VoxelShardPlan.Missing(plan, stored).Count > 0) return CompletionCheck.NotReady;

        if (await models.ManifestWrittenAtAsync(jobId, ct) is { } writtenAt)
        {
            // Committed by another check. If that writer died before its bookkeeping, finish the job for it (once).
            if (DateTimeOffset.UtcNow - writtenAt > options.Value.CommitRecoveryAge && await models.ReadManifestAsync(jobId, ct) is { } committed)
            {
                if (await outcomes.CompleteAsync(committed, bus, ct))
                    logger.LogWarning("Job {JobId}: manifest committed at {WrittenAt} without completing the job; completed it now", jobId, writtenAt);
            }
            return CompletionCheck.AlreadyCommitted;
        }

        using var activity = HeadsTelemetry.ActivitySource.StartActivity("assemble FaceNet2");
        activity?.SetTag("heads.job.id", jobId);
        var clock = Stopwatch.StartNew();
        var manifests = await Task.WhenAll(plan.Select(range => models.ReadShardManifestAsync(jobId, range, ct)));
        var data = await datasets.LoadFaceNetAsync(job.DatasetId, ct);
        var engineOptions = TrainingJobOptions.FaceNet2(job.Request, options.Value.EffectiveTorchThreads);
        var fitUsed = engineOptions.SampleLimit is int limit ? data.Fit.Take(limit) : data.Fit;
        // One pass over the stored shards predicts the validation and held-out heads for the report and the gallery.
        var predictor = new ShardSequencePredictor(manifests, m => models.OpenShardWeights(jobId, new VoxelShardRange(m.Voxels!.First, m.Voxels.Count)));
        var predicted = await TrainingThread.RunAsync(() => PredictedVolumes.Of(predictor, data.Validation, data.HeldOut), ct);
        QualityReport? quality = null;
        if (data.HeldOut.Count > 0)
            quality = await TrainingThread.RunAsync(() => FaceNetEvaluation.Evaluate(predicted, fitUsed, data.Validation, data.HeldOut), ct);
        var promotion = await gate.DecideVolumesAsync(jobId, quality, data, ct);

        var manifest = Manifest(job, engineOptions, plan, manifests, fitUsed.Count, quality) with { Promotion = promotion };
        await pictures.WriteVolumesAsync(jobId, TrainingModel.FaceNet2, data.HeldOut, predicted.HeldOut, manifest.EpochLosses, [], ct);
        if (!await models.TryCreateManifestAsync(manifest, ct))
        {
            logger.LogInformation("Job {JobId}: another replica committed the manifest first", jobId);
            return CompletionCheck.AlreadyCommitted;
        }
        logger.LogInformation("Job {JobId}: FaceNet2 assembled from {Shards} shards ({Pruned} voxels pruned) in {Seconds:F1} s; held-out IoU {IoU:F3} (mean head {Mean:F3}, ridge {Ridge:F3}); {Promotion}",
            jobId, plan.Count, manifest.PrunedVoxels, clock.Elapsed.TotalSeconds, quality?.Model.OccupancyIoU, quality?.MeanHead.OccupancyIoU, quality?.Ridge.OccupancyIoU, promotion.Reason);
        await outcomes.CompleteAsync(manifest, bus, ct);
        return CompletionCheck.Committed;
    }

    private static TrainingJobManifest Manifest(TrainingJob job, FaceNet2Options engineOptions, IReadOnlyList<VoxelShardRange> plan,
        IReadOnlyList<ModelManifest> shards, int trainingSamples, QualityReport? quality)
    {
        var entries = new List<TrainedShard>(plan.Count);
        int epochs = shards.Max(s => s.EpochLosses.Count);
        var losses = new double[epochs];
        long trainedVoxels = 0;
        for (int i = 0; i < plan.Count; i++)
        {
            var m = shards[i];
            var v = m.Voxels ?? throw new ModelFormatException($"The manifest of shard {plan[i]} has no voxel range.");
            if (v.First != plan[i].First || v.Count != plan[i].Count)
                throw new ModelFormatException($"The manifest stored as shard {plan[i]} describes voxels {v.First}..{v.First + v.Count - 1}.");
            entries.Add(new TrainedShard
            {
                FirstVoxel = v.First,
                VoxelCount = v.Count,
                WeightsBlob = TrainingJobLayout.ShardWeightsBlob(job.JobId, plan[i]),
                ManifestBlob = TrainingJobLayout.ShardManifestBlob(job.JobId, plan[i]),
                Trained = v.Trained,
                Pruned = v.Constant,
                FinalLoss = m.EpochLosses.Count > 0 ? m.EpochLosses[^1] : null,
                WeightsSha256 = m.WeightsSha256,
                WeightsBytes = m.WeightsBytes,
            });
            for (int e = 0; e < m.EpochLosses.Count; e++) losses[e] += m.EpochLosses[e] * v.Trained;
            trainedVoxels += v.Trained;
        }
        if (trainedVoxels > 0) for (int e = 0; e < epochs; e++) losses[e] /= trainedVoxels;
        var hyper = JsonSerializer.SerializeToNode(engineOptions, ModelManifest.JsonOptions) as JsonObject ?? [];
        hyper["shardSize"] = job.ShardSize;
        return new TrainingJobManifest
        {
            JobId = job.JobId,
            Model = TrainingModel.FaceNet2,
            DatasetId = job.DatasetId,
            Architecture = engineOptions.Architecture,
            HyperParameters = hyper,
            TrainingSamples = trainingSamples,
            EpochLosses = trainedVoxels > 0 ? losses : [],
            Shards = entries,
            ShardSize = job.ShardSize,
            PrunedVoxels = entries.Sum(s => s.Pruned),
            Quality = quality,
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }
}
