using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Inference.Service.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Service.Apis;

/// <summary>A served model as <c>GET /api/v1/models</c> lists it; <c>manifest</c> is the stored job manifest as it is.</summary>
public sealed record ServedModelInfo(
    Guid JobId,
    TrainingModel Model,
    string? DatasetId,
    DateTimeOffset CreatedAt,
    DateTimeOffset LoadedAt,
    double LoadSeconds,
    long Parameters,
    bool IsDefault,
    JsonObject? Quality,
    string ManifestBlob,
    JsonObject Manifest);

public sealed record ModelsResponse(DateTimeOffset? ScannedAt, long Generation, string Prefix, IReadOnlyList<ServedModelInfo> Models, IReadOnlyList<SkippedModel> Skipped);

public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/models").WithTags("Models");

        api.MapGet("/", (ModelRegistry registry, IOptions<InferenceOptions> options) => Describe(registry.Current, options.Value))
            .WithName("ListModels")
            .WithSummary("The served models, newest first, with their manifests and held-out quality; and the jobs skipped, with why");

        api.MapPost("/reload", async (ModelLoader loader, IOptions<InferenceOptions> options, CancellationToken ct) =>
                Describe(await loader.ReloadAsync("POST /api/v1/models/reload", ct), options.Value))
            .WithName("ReloadModels")
            .WithSummary("Rescans storage now; answers when the new set is served")
            // Loading a FaceNet2 reads gigabytes of weights.
            .WithRequestTimeout(HeadsRequestTimeouts.Long);

        return api;
    }

    public static ModelsResponse Describe(ModelSnapshot snapshot, InferenceOptions options)
    {
        var defaultFaceNet = snapshot.NewestFaceNet();
        var defaultHeads = snapshot.Newest(TrainingModel.HeadsNet);
        var models = snapshot.Models.Select(m => new ServedModelInfo(
            m.JobId, m.Kind, m.Job.DatasetId, m.Job.CreatedAt, m.LoadedAt, Math.Round(m.LoadSeconds, 3), m.Parameters,
            ReferenceEquals(m, defaultFaceNet) || ReferenceEquals(m, defaultHeads),
            m.Job.Quality?.DeepClone().AsObject(), m.Job.BlobName, m.Job.Document.DeepClone().AsObject())).ToList();
        return new ModelsResponse(snapshot.ScannedAt, snapshot.Generation, options.ModelsPrefix, models, snapshot.Skipped);
    }
}
