using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Heads.Core.Contracts;
using Heads.Core.Imaging;
using Inference.Service.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Service.Apis;

public static class PredictionsApi
{
    public static RouteGroupBuilder MapPredictionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/faces").WithTags("Predictions");

        api.MapPost("/predictions", PredictAsync)
            .WithName("PredictVolume")
            .WithSummary("A 32³ grayscale head volume from a face photo")
            .WithDescription(
                "Send a JPEG, PNG, BMP, GIF or WebP photo as the multipart/form-data field 'image' or as the raw body. " +
                "model: facenet1 | facenet2 | facenet3 | a job id (default: the newest FaceNet). " +
                "The answer's format comes from ?format= (json, raw, csv, ply, mesh, obj, glb) or Accept (application/json, " +
                "application/octet-stream, text/csv, application/x-ply, application/x-ply; kind=mesh, model/obj, model/gltf-binary). " +
                "mesh, obj and glb are the marching-cubes surface (OBJ and glTF with vertex colours and normals). Values follow the " +
                "original post-processing (below 0.003 → 0, ×255, rounded); index z·1024 + y·32 + x. " +
                "threshold (1..255, default 1) picks the occupied voxels for ply and the surface for mesh, obj and glb.")
            // Described for OpenAPI only: Accepts() metadata would make routing answer unlisted types itself, without saying why.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = ImageUpload.OpenApiRequestBody();
                return Task.CompletedTask;
            })
            .Produces<VolumeResponse>(200, VolumeFormats.Json)
            .Produces(200, null, VolumeFormats.OctetStream, VolumeFormats.Csv, VolumeFormats.Ply, Heads.Core.Geometry.Exchange.ObjWriter.MediaType, Heads.Core.Geometry.Exchange.GlbWriter.MediaType)
            .ProducesProblem(400)
            .ProducesProblem(404)
            .ProducesProblem(406)
            .ProducesProblem(413)
            .ProducesProblem(415)
            .ProducesProblem(503)
            .DisableAntiforgery();

        return api;
    }

    private static async Task<IResult> PredictAsync(HttpContext http, ModelRegistry registry, IOptions<InferenceOptions> options, InferenceMetrics metrics,
        string? model = null, string? format = null, [Range(1, 255)] int? threshold = null)
    {
        var ct = http.RequestAborted;
        long started = Stopwatch.GetTimestamp();
        TrainingModel? kind = null;
        string formatName = "unknown";
        http.Response.OnCompleted(() =>
        {
            metrics.Request("predictions", kind, formatName, http.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Task.CompletedTask;
        });

        var (chosen, formatProblem) = VolumeFormats.Negotiate(format, http.Request);
        if (formatProblem is not null) return formatProblem;
        formatName = VolumeFormats.Name(chosen);
        if (threshold is < 1 or > 255)
            return Results.Problem(statusCode: 400, title: "Invalid threshold", detail: $"threshold must be within 1..255; it was {threshold}.");

        // The request is judged before the service's state: a bad upload is a 400 even while no model is loaded.
        long limit = options.Value.MaxImageBytes;
        var (image, uploadProblem) = await ImageUpload.ReadAsync(http.Request, limit, ct);
        if (uploadProblem is not null) return uploadProblem;

        byte[] face;
        try
        {
            face = FaceImage.Load(image!, new FaceImageOptions { MaxEncodedBytes = limit });
        }
        catch (FaceImageException e)
        {
            return e.Reason == FaceImageFailure.TooLarge
                ? Results.Problem(statusCode: 413, title: "Image too large", detail: e.Message)
                : Results.Problem(statusCode: 400, title: "Undecodable image", detail: e.Message);
        }

        var (lease, problem) = ModelSelection.Acquire(registry, model, ModelSelection.Family.Volumes);
        if (lease is null) return problem!;
        using (lease)
        {
            var served = lease.Model;
            kind = served.Kind;
            Activity.Current?.SetTag("heads.model", served.Kind.ToString());
            Activity.Current?.SetTag("heads.job_id", served.JobId.ToString());
            Activity.Current?.SetTag("heads.format", formatName);
            var volume = await served.Batcher!.PredictAsync(face, ct);
            http.Response.Headers["X-Heads-Model"] = served.Kind.ToString();
            http.Response.Headers["X-Heads-Job"] = served.JobId.ToString();
            await VolumeFormats.WriteVolumeAsync(http.Response, chosen, volume, served.Kind.ToString(), served.JobId, (byte)(threshold ?? 1), ct);
        }
        return Results.Empty;
    }
}

/// <summary>The JSON shape of a predicted volume (for the OpenAPI document; written directly for speed).</summary>
public sealed record VolumeResponse(string Model, Guid JobId, int Size, int[] Data);
