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

/// <summary>
/// HeadsNet, FaceNet1, FaceNet3 and FaceNetPca: one network, trained on one replica with progress and cancellation, then saved
/// (weights under this attempt's name), evaluated, judged by the promotion gate, and committed with the job manifest's
/// create-only write. Face models fit the dataset's training heads less its validation heads.
/// </summary>
public sealed class WholeModelTraining(
    TrainingJobStore jobs,
    TrainedModelStore models,
    TrainingDatasets datasets,
    TrainingJobOutcomes outcomes,
    PromotionGate gate,
    TrainedModelPictures pictures,
    IOptions<TrainerOptions> options,
    ILogger<WholeModelTraining> logger)
{
    /// <summary>Points per head in a HeadsNet gallery: enough for a surface at gallery size.</summary>
    private const int GalleryPoints = 20_000;

    public async Task RunAsync(TrainingJob job, IPublishEndpoint bus, CancellationToken ct)
    {
        if (await models.ReadManifestAsync(job.JobId, ct) is { } committed)
        {
            // Redelivered after the commit: the model exists; make sure the job says so (and ModelTrained went out once).
            await outcomes.CompleteAsync(committed, bus, ct);
            return;
        }
        var settings = options.Value;
        int threads = settings.EffectiveTorchThreads;
        object data = job.Model == TrainingModel.HeadsNet
            ? await datasets.LoadHeadsNetAsync(job.DatasetId, ct)
            : await datasets.LoadFaceNetAsync(job.DatasetId, ct);

        await jobs.UpdateAsync(job.JobId, j => j.IsFinished ? null : j with
        {
            State = TrainingJobState.Running,
            StartedAt = j.StartedAt ?? DateTimeOffset.UtcNow,
            Replica = settings.EffectiveReplicaName,
        }, ct);
        if (await jobs.IsCancelRequestedAsync(job.JobId, ct)) return;

        using var activity = HeadsTelemetry.ActivitySource.StartActivity("train " + job.Model);
        activity?.SetTag("heads.job.id", job.JobId);
        activity?.SetTag("heads.replica", settings.EffectiveReplicaName);
        var clock = Stopwatch.StartNew();
        logger.LogInformation("Job {JobId}: training {Model} on {DatasetId} with {Threads} threads", job.JobId, job.Model, job.DatasetId, threads);

        IDisposable network;
        await using (var monitor = new TrainingMonitor(jobs, job.JobId, null, job.Model, settings.EffectiveReplicaName, settings, logger, ct))
        {
            try
            {
                network = await TrainingThread.RunAsync<IDisposable>(() => data switch
                {
                    HeadsNetData heads => HeadsNetTrainer.Train(heads.Train, TrainingJobOptions.HeadsNet(job.Request, threads), monitor, monitor.Token),
                    FaceNetData faces when job.Model == TrainingModel.FaceNetPca =>
                        FaceNetPcaTrainer.Train(faces.Fit, faces.Validation, TrainingJobOptions.FaceNetPca(job.Request, threads), monitor, monitor.Token),
                    FaceNetData faces => FaceNetTrainer.Train(faces.Fit, TrainingJobOptions.FaceNet(job.Request, threads), monitor, monitor.Token, faces.Validation),
                    _ => throw new InvalidOperationException($"No trainer for {data.GetType().Name}."),
                }, monitor.Token);
            }
            catch (OperationCanceledException) when (monitor.CancelledByRequest && !ct.IsCancellationRequested)
            {
                activity?.SetTag("heads.job.outcome", "cancelled");
                logger.LogInformation("Job {JobId}: training stopped, the job was cancelled", job.JobId);
                await outcomes.CancelAsync(job.JobId, bus, ct);
                return;
            }
            await monitor.StopAsync();
            await monitor.FlushAsync(finished: true, ct);
        }

        using (network)
        {
            string attempt = Guid.NewGuid().ToString("N")[..12];
            ModelManifest weightsManifest;
            string weightsBlob;
            await using (var weights = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
            {
                weightsManifest = network switch
                {
                    HeadsNetModel headsNetModel => headsNetModel.Save(weights),
                    FaceNetModel faceNetModel => faceNetModel.Save(weights),
                    FaceNetPcaModel pcaModel => pcaModel.Save(weights),
                    _ => throw new InvalidOperationException($"Cannot save {network.GetType().Name}."),
                };
                weightsBlob = await models.UploadWeightsAsync(job.JobId, attempt, weights, ct);
            }

            QualityReport? quality = null;
            HeadsNetQualityReport? pointCloud = null;
            ModelPromotion promotion;
            if (network is IVolumePredictor faceModel && data is FaceNetData f)
            {
                // The first TrainingSamples fitted heads are the ones the model learned from (its sample limit applied).
                var fitUsed = f.Fit.Take(weightsManifest.TrainingSamples);
                var predicted = await TrainingThread.RunAsync(() => PredictedVolumes.Of(faceModel, f.Validation, f.HeldOut), ct);
                if (f.HeldOut.Count > 0)
                    quality = await TrainingThread.RunAsync(() => FaceNetEvaluation.Evaluate(predicted, fitUsed, f.Validation, f.HeldOut), ct);
                promotion = await gate.DecideVolumesAsync(job.JobId, quality, f, ct);
                await pictures.WriteVolumesAsync(job.JobId, job.Model, f.HeldOut, predicted.HeldOut, weightsManifest.EpochLosses, weightsManifest.ValidationLosses, ct);
            }
            else if (network is HeadsNetModel headsNet && data is HeadsNetData h)
            {
                pointCloud = await TrainingThread.RunAsync(() => HeadsNetEvaluation.Evaluate(headsNet, h.Train, cancellationToken: ct), ct);
                promotion = await gate.DecideHeadsAsync(job.JobId, pointCloud, h, ct);
                // Four training heads and the heads halfway between two pairs of them: a seed between heads must be a head too.
                var report = pointCloud;
                var shown = await TrainingThread.RunAsync(() => report.Heads.Take(4).Select(q => q.Seed)
                    .Concat(report.MidSeeds.Take(2).Select(q => q.Seed))
                    .Select(seed => (seed, headsNet.Sample(seed, GalleryPoints))).ToList(), ct);
                await pictures.WriteHeadsAsync(job.JobId, shown, weightsManifest.EpochLosses, ct);
            }
            else
            {
                throw new InvalidOperationException($"{job.Model} trained on {data.GetType().Name}: nothing to evaluate it with.");
            }

            var engineOptions = job.Model switch
            {
                TrainingModel.HeadsNet => JsonSerializer.SerializeToNode(TrainingJobOptions.HeadsNet(job.Request, threads), ModelManifest.JsonOptions),
                TrainingModel.FaceNetPca => JsonSerializer.SerializeToNode(TrainingJobOptions.FaceNetPca(job.Request, threads), ModelManifest.JsonOptions),
                _ => JsonSerializer.SerializeToNode(TrainingJobOptions.FaceNet(job.Request, threads), ModelManifest.JsonOptions),
            };
            var manifest = new TrainingJobManifest
            {
                JobId = job.JobId,
                Model = job.Model,
                DatasetId = job.DatasetId,
                Architecture = weightsManifest.Architecture,
                HyperParameters = engineOptions as JsonObject,
                TrainingSamples = weightsManifest.TrainingSamples,
                EpochLosses = weightsManifest.EpochLosses,
                ValidationLosses = weightsManifest.ValidationLosses,
                WeightsBlob = weightsBlob,
                Weights = weightsManifest,
                Quality = quality,
                PointCloud = pointCloud,
                Promotion = promotion,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            if (!await models.TryCreateManifestAsync(manifest, ct))
            {
                // A duplicate delivery committed first; its weights are the model, ours are not needed.
                logger.LogInformation("Job {JobId}: another attempt committed first; discarding {Blob}", job.JobId, weightsBlob);
                await models.DeleteIfExistsAsync(weightsBlob, ct);
                if (await models.ReadManifestAsync(job.JobId, ct) is { } winner) await outcomes.CompleteAsync(winner, bus, ct);
                return;
            }
            activity?.SetTag("heads.job.outcome", "completed");
            logger.LogInformation("Job {JobId}: {Model} trained in {Seconds:F1} s, final loss {Loss:G4}; {Promotion}: {Reason}", job.JobId, job.Model, clock.Elapsed.TotalSeconds,
                manifest.EpochLosses.Count > 0 ? manifest.EpochLosses[^1] : double.NaN, promotion.Promoted ? "promoted" : "not promoted", promotion.Reason);
            await outcomes.CompleteAsync(manifest, bus, ct);
        }
    }
}
