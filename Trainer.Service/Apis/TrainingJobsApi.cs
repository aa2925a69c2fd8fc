using System.ComponentModel.DataAnnotations;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using MassTransit;
using Trainer.Service.Jobs;

namespace Trainer.Service.Apis;

/// <summary>POST body of /api/v1/training-jobs; unset hyper-parameters take the original project's values.</summary>
public sealed record TrainingJobRequest(
    string? Model,
    string? DatasetId,
    [property: Range(1, TrainingLimits.MaxEpochs)] int? Epochs = null,
    [property: Range(1, TrainingLimits.MaxBatchSize)] int? BatchSize = null,
    [property: Range(TrainingLimits.MinLearningRate, TrainingLimits.MaxLearningRate)] double? LearningRate = null,
    [property: Range(1, TrainingLimits.MaxSampleLimit)] int? SampleLimit = null,
    string? Optimizer = null,
    [property: Range(int.MinValue, int.MaxValue)] int? Seed = null,
    [property: Range(TrainingLimits.MinShardSize, TrainingLimits.MaxShardSize)] int? ShardSize = null,
    bool? PruneConstantVoxels = null,
    string? Loss = null,
    string? Encoding = null);

/// <summary>POST body of /api/v1/training-jobs/latest-dataset.</summary>
public sealed record LatestDatasetRequest(string? Model);

public static class TrainingJobsApi
{
    private const int MaxListLimit = 500;

    public static RouteGroupBuilder MapTrainingJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/training-jobs").WithTags("Training jobs");

        // The dashboard's "Train <model>" commands: the newest dataset of the model's kind, with the pipeline's settings.
        api.MapPost("/latest-dataset", async (LatestDatasetRequest request, PipelineTraining pipeline, TrainingJobStore jobs,
            TrainingJobStatusReader reader, IPublishEndpoint bus, CancellationToken ct) =>
        {
            if (!TrainingModels.TryParse(request.Model, out var model))
                return Results.Problem(statusCode: 400, title: "Unknown model",
                    detail: $"model must be one of {TrainingModels.Names}; it was '{request.Model}'.");
            var kind = model == TrainingModel.HeadsNet ? DatasetKind.HeadsNet : DatasetKind.FaceNet;
            var datasetId = await pipeline.NewestDatasetAsync(kind, ct);
            if (datasetId is null)
                return Results.Problem(statusCode: 404, title: "No dataset",
                    detail: $"No {kind} dataset exists yet: scrape heads and build one (POST /api/v1/datasets on the dataset service).");
            var (jobId, _) = await pipeline.StartAsync(datasetId, model, bus, ct);
            var job = await jobs.FindAsync(jobId, ct);
            return Results.Accepted($"/api/v1/training-jobs/{jobId}", job is null ? null : await reader.StatusAsync(job, ct));
        })
            .WithName("TrainOnLatestDataset")
            .WithSummary("Trains a model on the newest dataset of its kind with the pipeline's settings")
            .ProducesProblem(400)
            .ProducesProblem(409);

        api.MapPost("/", async (TrainingJobRequest request, TrainingDatasets datasets, TrainingJobStore jobs, TrainingJobStatusReader reader,
            IPublishEndpoint bus, CancellationToken ct) =>
        {
            if (!TrainingModels.TryParse(request.Model, out var model))
                return Results.Problem(statusCode: 400, title: "Unknown model",
                    detail: $"model must be one of {TrainingModels.Names}; it was '{request.Model}'.");
            if (!ResourceIds.IsValid(request.DatasetId))
                return Results.Problem(statusCode: 400, title: "Invalid dataset id",
                    detail: $"'{request.DatasetId}' is not a dataset id: use 1–{ResourceIds.MaxLength} characters of a-z, 0-9 and '-'.");
            var command = new StartTraining
            {
                JobId = Guid.NewGuid(),
                Model = model,
                DatasetId = request.DatasetId!,
                Epochs = request.Epochs,
                BatchSize = request.BatchSize,
                LearningRate = request.LearningRate,
                SampleLimit = request.SampleLimit,
                Optimizer = request.Optimizer,
                Seed = request.Seed,
                ShardSize = request.ShardSize,
                PruneConstantVoxels = request.PruneConstantVoxels ?? true,
                Loss = request.Loss,
                Encoding = request.Encoding,
            };
            try
            {
                TrainingJobOptions.Validate(command);
            }
            catch (ArgumentException e)
            {
                return Results.Problem(statusCode: 400, title: "Invalid hyper-parameters", detail: e.Message);
            }
            try
            {
                await datasets.DescribeForAsync(command.DatasetId, model, ct);
            }
            catch (UnknownDatasetException e)
            {
                return Results.Problem(statusCode: 404, title: "Unknown dataset", detail: e.Message);
            }
            catch (IncompatibleDatasetException e)
            {
                return Results.Problem(statusCode: 400, title: "Wrong dataset kind", detail: e.Message);
            }
            catch (CorruptDatasetException e)
            {
                return Results.Problem(statusCode: 422, title: "Corrupt dataset", detail: e.Message);
            }
            var (job, _) = await jobs.CreateAsync(TrainingJobOutcomes.NewJob(command), ct);
            await bus.Publish(command, ct);
            return Results.Accepted($"/api/v1/training-jobs/{job.JobId}", await reader.StatusAsync(job, ct));
        })
            .WithName("StartTrainingJob")
            .WithSummary("Starts a training job for a model on a dataset")
            .ProducesProblem(400)
            .ProducesProblem(404)
            .ProducesProblem(409);

        api.MapGet("/", async (TrainingJobStatusReader reader, CancellationToken ct, [Range(1, MaxListLimit)] int? limit) =>
        {
            int take = limit ?? 50;
            if (take is < 1 or > MaxListLimit)
                return Results.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be 1..{MaxListLimit}; it was {take}.");
            return Results.Ok(await reader.ListAsync(take, ct));
        })
            .WithName("ListTrainingJobs")
            .WithSummary("The recent training jobs with their progress")
            .ProducesProblem(400);

        api.MapGet("/{id:guid}", async (Guid id, TrainingJobStatusReader reader, CancellationToken ct) =>
            await reader.FindAsync(id, ct) is { } status
                ? Results.Ok(status)
                : Results.Problem(statusCode: 404, title: "Unknown training job", detail: $"No training job {id}."))
            .WithName("GetTrainingJob")
            .WithSummary("One job's state, progress, replicas, quality and promotion")
            .ProducesProblem(404);

        api.MapDelete("/{id:guid}", async (Guid id, TrainingJobStore jobs, TrainingJobOutcomes outcomes, TrainingJobStatusReader reader,
            IPublishEndpoint bus, CancellationToken ct) =>
        {
            var job = await jobs.FindAsync(id, ct);
            if (job is null) return Results.Problem(statusCode: 404, title: "Unknown training job", detail: $"No training job {id}.");
            if (job.IsFinished)
                return Results.Problem(statusCode: 409, title: "Training job already finished", detail: $"Training job {id} is {job.State.ToString().ToLowerInvariant()}.");
            // The marker first: replicas training the job stop when they see it, whatever job.json says meanwhile.
            await jobs.RequestCancelAsync(id, ct);
            var (cancelled, changed) = await outcomes.CancelAsync(id, bus, ct);
            if (!changed)
                return Results.Problem(statusCode: 409, title: "Training job already finished", detail: $"Training job {id} is {cancelled?.State.ToString().ToLowerInvariant()}.");
            return Results.Accepted($"/api/v1/training-jobs/{id}", await reader.StatusAsync(cancelled!, ct));
        })
            .WithName("CancelTrainingJob")
            .WithSummary("Cancels a queued or running job")
            .ProducesProblem(404)
            .ProducesProblem(409);

        return api;
    }
}
