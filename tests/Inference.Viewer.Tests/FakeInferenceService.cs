using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inference.Viewer.Tests;

/// <summary>What the page posted to the predict endpoint.</summary>
public sealed record PredictionCall(string? Model, string? Format, string FieldName, string FileName, string ContentType, byte[] Photo);

public sealed record RandomHeadCall(string? Seed, string? Points, string? Format, string? Precision = null);

/// <summary>
/// Inference.Service's page and API surface on 127.0.0.1 (a free port), with made-up answers: the real
/// wwwroot served as the service serves it, and endpoints that record what the page sent.
/// </summary>
public sealed class FakeInferenceService : IAsyncDisposable
{
    public const string BrokenModel = "broken";
    public const string BrokenTitle = "Model not loaded";
    public const string BrokenDetail = "Model 'broken' has no weights in storage yet.";

    private readonly WebApplication app;

    public ConcurrentQueue<PredictionCall> Predictions { get; } = new();

    public ConcurrentQueue<RandomHeadCall> RandomHeads { get; } = new();

    /// <summary>Sample photos by file name; empty unless a test adds some.</summary>
    public ConcurrentDictionary<string, byte[]> Samples { get; } = new();

    /// <summary>Stored model pictures by "{jobId}/{gallery|losses}.png"; empty unless a test adds some (then 404 ProblemDetails).</summary>
    public ConcurrentDictionary<string, byte[]> Pictures { get; } = new();

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    private FakeInferenceService(WebApplication app) => this.app = app;

    public static async Task<FakeInferenceService> StartAsync()
    {
        ViewerSite.RequireBundle();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = ViewerSite.WebRoot,
            WebRootPath = ViewerSite.WebRoot,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var service = new FakeInferenceService(app);
        service.Map();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        service.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return service;
    }

    private void Map()
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();

        // Newest first, as the service lists them; one HeadsNet and one with nothing but a name.
        app.MapGet("/api/v1/models", () => Results.Json(new object[]
        {
            new
            {
                name = "facenet3", kind = "FaceNet3", jobId = "job-3", datasetId = "ds-1", trainedAt = "2026-11-20T10:00:00Z",
                quality = new { heldOutIoU = 0.61, meanHeadIoU = 0.42, heldOutMae = 12.3, meanHeadMae = 15.1 },
            },
            new { name = "facenet1", kind = "FaceNet1", jobId = "job-1", trainedAt = "2026-11-18T09:00:00Z", quality = (object?)null },
            new { name = "bare" },
            new { name = "headsnet", kind = "HeadsNet", trainedAt = "2026-11-19T08:00:00Z" },
        }));

        app.MapGet("/api/v1/models/{jobId}/{file}", (string jobId, string file) =>
            Pictures.TryGetValue($"{jobId}/{file}", out var png)
                ? Results.File(png, "image/png")
                : Results.Problem(title: "No picture", detail: $"Job {jobId} has no {file}.", statusCode: 404));

        app.MapGet("/api/v1/samples", () => Results.Json(Samples.Keys.Order()
            .Select(file => new { name = Path.GetFileNameWithoutExtension(file), url = $"/api/v1/samples/{file}" })));

        app.MapGet("/api/v1/samples/{file}", (string file) =>
            Samples.TryGetValue(file, out var photo) ? Results.File(photo, "image/png") : Results.NotFound());

        app.MapPost("/api/v1/faces/predictions", async (HttpRequest request) =>
        {
            var model = request.Query["model"].FirstOrDefault();
            if (!request.HasFormContentType)
            {
                return Results.Problem(title: "Not a form", detail: "Send multipart/form-data with an 'image' field.", statusCode: 415);
            }
            var form = await request.ReadFormAsync();
            var file = form.Files.FirstOrDefault();
            if (file is null)
            {
                return Results.Problem(title: "No image", detail: "The form has no file.", statusCode: 400);
            }
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy);
            Predictions.Enqueue(new PredictionCall(model, request.Query["format"].FirstOrDefault(), file.Name, file.FileName,
                file.ContentType, copy.ToArray()));
            if (model == BrokenModel)
            {
                return Results.Problem(title: BrokenTitle, detail: BrokenDetail, statusCode: 503);
            }
            var data = SyntheticHeads.BallVolume().Select(v => (int)v).ToArray();
            return Results.Json(new { model = model ?? "facenet3", size = SyntheticHeads.VolumeSize, data });
        });

        app.MapGet("/api/v1/heads/random", (HttpRequest request) =>
        {
            string? seed = request.Query["seed"], points = request.Query["points"], format = request.Query["format"];
            RandomHeads.Enqueue(new RandomHeadCall(seed, points, format, request.Query["precision"].FirstOrDefault()));
            if (!int.TryParse(seed, out var s) || !int.TryParse(points, out var n) || n is < 1 or > 1_000_000)
            {
                return Results.Problem(title: "Bad query", detail: "seed and points must be integers, points 1..1000000.", statusCode: 400);
            }
            return Results.File(SyntheticHeads.PointCloudPly(s, n), "application/octet-stream", "head.ply");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
