using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Trainer.Service.Jobs;

/// <summary>
/// Starts pipeline jobs: each model named in Trainer:Pipeline that fits a dataset's kind trains on it with the
/// pipeline's settings. A job's id derives from (dataset, model), so a redelivered DatasetBuilt or a repeated
/// command starts nothing twice.
/// </summary>
public sealed class PipelineTraining(
    TrainingJobStore jobs,
    TrainingDatasets datasets,
    HeadsBlobContainers containers,
    IOptions<TrainerOptions> options,
    ILogger<PipelineTraining> logger)
{
    public static bool Fits(TrainingModel model, DatasetKind kind) => (model == TrainingModel.HeadsNet) == (kind == DatasetKind.HeadsNet);

    public static Guid JobIdFor(string datasetId, TrainingModel model) =>
        new(MD5.HashData(Encoding.UTF8.GetBytes($"pipeline:{datasetId}:{model}")));

    public StartTraining CommandFor(string datasetId, TrainingModel model)
    {
        var settings = options.Value.Pipeline.For(model);
        return new StartTraining
        {
            JobId = JobIdFor(datasetId, model),
            Model = model,
            DatasetId = datasetId,
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            SampleLimit = settings.SampleLimit,
            ShardSize = settings.ShardSize,
            Loss = settings.Loss,
        };
    }

    /// <summary>Creates the job (once) and publishes its StartTraining; returns the job id and whether it was new.</summary>
    public async Task<(Guid JobId, bool Started)> StartAsync(string datasetId, TrainingModel model, IPublishEndpoint bus, CancellationToken ct)
    {
        var command = CommandFor(datasetId, model);
        TrainingJobOptions.Validate(command);
        var (_, created) = await jobs.CreateAsync(TrainingJobOutcomes.NewJob(command), ct);
        if (created)
        {
            await bus.Publish(command, ct);
            logger.LogInformation("Pipeline: training {Model} on dataset {DatasetId} as job {JobId}", model, datasetId, command.JobId);
        }
        return (command.JobId, created);
    }

    /// <summary>The newest committed dataset of a kind, by its manifest's time in storage; null when there is none.</summary>
    public async Task<string?> NewestDatasetAsync(DatasetKind kind, CancellationToken ct)
    {
        var manifests = new List<(string Id, DateTimeOffset At)>();
        await foreach (var blob in containers.Datasets.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, ct))
        {
            var parts = blob.Name.Split('/');
            if (parts.Length == 2 && parts[1] == TrainingDatasets.ManifestName && ResourceIds.IsValid(parts[0]))
                manifests.Add((parts[0], blob.Properties.LastModified ?? DateTimeOffset.MinValue));
        }
        foreach (var (id, _) in manifests.OrderByDescending(m => m.At))
        {
            try
            {
                if ((await datasets.DescribeAsync(id, ct)).Kind == kind) return id;
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidDataException or JsonException)
            {
                logger.LogDebug("Skipping dataset {DatasetId}: {Reason}", id, ex.Message);
            }
        }
        return null;
    }
}
