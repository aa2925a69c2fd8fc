using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using Inference.Service.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
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
    bool? Promoted,
    string? PromotionReason,
    bool IsPinned,
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

        api.MapPost("/{jobId:guid}/pin", PinAsync)
            .WithName("PinModel")
            .WithSummary("Makes this served model its family's default until unpinned, whatever the promotion gate decided")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithRequestTimeout(HeadsRequestTimeouts.Long);

        api.MapPost("/pins/{family}/newest", PinNewestAsync)
            .WithName("PinNewestModel")
            .WithSummary("Pins the newest served model of a family (volumes or heads), promoted or not")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithRequestTimeout(HeadsRequestTimeouts.Long);

        api.MapDelete("/pins/{family}", UnpinAsync)
            .WithName("UnpinModels")
            .WithSummary("Returns a family (volumes or heads) to its promoted default")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithRequestTimeout(HeadsRequestTimeouts.Long);
        api.MapGet("/{jobId:guid}/gallery.png", GetGalleryAsync)
            .WithName("ModelGallery")
            .WithSummary("The job's gallery as PNG: held-out heads (photo, true head, predicted head) or HeadsNet heads by seed")
            .Produces(StatusCodes.Status200OK, null, "image/png")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{jobId:guid}/losses.png", GetLossesAsync)
            .WithName("ModelLosses")
            .WithSummary("The job's training and held-out loss per epoch as a PNG chart")
            .Produces(StatusCodes.Status200OK, null, "image/png")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    public static async Task<Results<Ok<ModelsResponse>, ProblemHttpResult>> PinAsync(
        Guid jobId, ModelRegistry registry, ModelStore store, ModelLoader loader, IOptions<InferenceOptions> options, CancellationToken ct)
    {
        var model = registry.Current.Find(jobId);
        if (model is null)
            return TypedResults.Problem(statusCode: 404, title: "Unknown model", detail: $"No model from job {jobId} is served; GET /api/v1/models lists the served models.");
        var family = ModelPins.FamilyOf(model.Kind);
        return await UpdatePinsAsync(p => p.With(family, jobId), $"pin {model.Kind} {jobId}", store, loader, options, ct);
    }

    public static async Task<Results<Ok<ModelsResponse>, ProblemHttpResult>> PinNewestAsync(
        string family, ModelRegistry registry, ModelStore store, ModelLoader loader, IOptions<InferenceOptions> options, CancellationToken ct)
    {
        if (ParseFamily(family) is not { } which)
            return TypedResults.Problem(statusCode: 404, title: "Unknown model family", detail: FamilyHint);
        var newest = registry.Current.Models.FirstOrDefault(m => ModelPins.FamilyOf(m.Kind) == which);
        if (newest is null)
            return TypedResults.Problem(statusCode: 404, title: "No model to pin", detail: $"No {which} model is served yet.");
        return await UpdatePinsAsync(p => p.With(which, newest.JobId), $"pin {newest.Kind} {newest.JobId}", store, loader, options, ct);
    }

    public static async Task<Results<Ok<ModelsResponse>, ProblemHttpResult>> UnpinAsync(
        string family, ModelStore store, ModelLoader loader, IOptions<InferenceOptions> options, CancellationToken ct)
    {
        if (ParseFamily(family) is not { } which)
            return TypedResults.Problem(statusCode: 404, title: "Unknown model family", detail: FamilyHint);
        return await UpdatePinsAsync(p => p.With(which, null), $"unpin {which}", store, loader, options, ct);
    }

    private const string FamilyHint = "The families are 'volumes' (face models) and 'heads' (HeadsNet).";

    private static ModelFamily? ParseFamily(string family) =>
        Enum.TryParse<ModelFamily>(family, ignoreCase: true, out var which) && Enum.IsDefined(which) && !int.TryParse(family, out _) ? which : null;

    private static async Task<Results<Ok<ModelsResponse>, ProblemHttpResult>> UpdatePinsAsync(
        Func<ModelPins, ModelPins> change, string reason, ModelStore store, ModelLoader loader, IOptions<InferenceOptions> options, CancellationToken ct)
    {
        // Compare-and-swap on the pins blob: two concurrent pins must not silently undo each other.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var (pins, etag) = await store.ReadPinsAsync(ct);
            if (await store.TryWritePinsAsync(change(pins), etag, ct))
                return TypedResults.Ok(Describe(await loader.ReloadAsync(reason, ct), options.Value));
        }
        return TypedResults.Problem(statusCode: 409, title: "Pins changed concurrently", detail: "The pinned defaults kept changing while this request wrote them; retry.");
    }

    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> GetGalleryAsync(
        Guid jobId, ModelRegistry registry, ModelStore store, CancellationToken ct) =>
        PictureAsync(jobId, ModelPicture.Gallery, registry, store, ct);

    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> GetLossesAsync(
        Guid jobId, ModelRegistry registry, ModelStore store, CancellationToken ct) =>
        PictureAsync(jobId, ModelPicture.Losses, registry, store, ct);

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> PictureAsync(
        Guid jobId, ModelPicture picture, ModelRegistry registry, ModelStore store, CancellationToken ct)
    {
        var name = picture == ModelPicture.Gallery ? "gallery.png" : "losses.png";
        // Only pictures of served jobs: the same set GET /api/v1/models lists, so the viewer never links a stranger's blob.
        if (registry.Current.Find(jobId) is null)
            return NotFound("Model not served", $"No served model has job id {jobId:D}; GET /api/v1/models lists them.");
        StoredPicture? stored;
        try
        {
            stored = await store.ReadPictureAsync(jobId, picture, ct);
        }
        catch (InvalidDataException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Picture too large", detail: e.Message);
        }
        if (stored is null)
            return NotFound("No picture", $"Job {jobId:D} has no {name}; the trainer writes it when the job completes.");
        return TypedResults.File(stored.Png, "image/png", lastModified: stored.LastModified);
    }

    // A ProblemHttpResult rather than NotFound<ProblemDetails>: the latter is sent as application/json, and every other
    // error of the service is application/problem+json.
    private static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);

    public static ModelsResponse Describe(ModelSnapshot snapshot, InferenceOptions options)
    {
        var defaultFaceNet = snapshot.DefaultFaceNet();
        var defaultHeads = snapshot.Default(ModelFamily.Heads);
        var models = snapshot.Models.Select(m => new ServedModelInfo(
            m.JobId, m.Kind, m.Job.DatasetId, m.Job.CreatedAt, m.LoadedAt, Math.Round(m.LoadSeconds, 3), m.Parameters,
            ReferenceEquals(m, defaultFaceNet) || ReferenceEquals(m, defaultHeads),
            m.Job.Promoted, m.Job.PromotionReason, snapshot.Pins.For(ModelPins.FamilyOf(m.Kind)) == m.JobId,
            m.Job.Quality?.DeepClone().AsObject(), m.Job.BlobName, m.Job.Document.DeepClone().AsObject())).ToList();
        return new ModelsResponse(snapshot.ScannedAt, snapshot.Generation, options.ModelsPrefix, models, snapshot.Skipped);
    }
}
