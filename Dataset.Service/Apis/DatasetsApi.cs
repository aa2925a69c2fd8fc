using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Dataset.Service.Building;
using Dataset.Service.Importing;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using MassTransit;
using Microsoft.Net.Http.Headers;

namespace Dataset.Service.Apis;

public sealed record BuildDatasetRequest(
    string? DatasetId,
    DatasetKind? Kind,
    [property: Range(1, int.MaxValue)] int? Limit,
    string? HeadIdPrefix,
    [property: Range(0.0, 1.0, MaximumIsExclusive = true)] double? HeldOutFraction);

public sealed record ImportDatasetRequest(string? DatasetId, string? Directory, [property: Range(0.0, 1.0, MaximumIsExclusive = true)] double? HeldOutFraction);

public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/datasets").WithTags("Datasets");

        api.MapPost("/", async (BuildDatasetRequest request, DatasetBuilder builder, DatasetStore store, DatasetBuildRegistry registry,
            IPublishEndpoint bus, TimeProvider time, CancellationToken ct) =>
        {
            if (request.Kind is not { } kind || !Enum.IsDefined(kind))
                return Results.Problem(statusCode: 400, title: "Invalid kind", detail: "kind must be FaceNet or HeadsNet.");
            var command = new BuildDataset
            {
                DatasetId = request.DatasetId ?? NewDatasetId(kind.ToString(), time),
                Kind = kind,
                Limit = request.Limit,
                HeadIdPrefix = string.IsNullOrEmpty(request.HeadIdPrefix) ? null : request.HeadIdPrefix,
                HeldOutFraction = request.HeldOutFraction ?? HeldOutSplit.DefaultFraction,
            };
            try
            {
                DatasetBuilder.Validate(command);
            }
            catch (ArgumentException e)
            {
                return Results.Problem(statusCode: 400, title: "Invalid dataset request", detail: e.Message);
            }
            if (await ConflictAsync(command.DatasetId, store, registry, ct) is { } conflict) return conflict;
            var heads = await builder.SelectHeadsAsync(command.HeadIdPrefix, command.Limit, ct);
            if (heads.Count == 0)
                return Results.Problem(statusCode: 409, title: "No heads to build from", detail: command.HeadIdPrefix is null
                    ? "No heads have been processed yet."
                    : $"No processed head id starts with '{command.HeadIdPrefix}'.");
            if (!registry.TryQueue(command.DatasetId, kind))
                return Results.Problem(statusCode: 409, title: "Dataset already queued", detail: $"Dataset '{command.DatasetId}' is already queued.");
            await bus.Publish(command, ct);
            return Results.Accepted(DatasetCatalog.Href(command.DatasetId), new DatasetStatus
            {
                DatasetId = command.DatasetId, State = DatasetState.Queued, Kind = kind, HeadsDone = 0, HeadsTotal = heads.Count,
            });
        })
            .WithName("BuildDataset")
            .WithSummary("Builds a versioned dataset (FaceNet or HeadsNet) from the processed heads")
            .ProducesProblem(400)
            .ProducesProblem(409);

        api.MapPost("/imports", async (ImportDatasetRequest request, FaceNetImporter importer, DatasetStore store, DatasetBuildRegistry registry,
            IPublishEndpoint bus, TimeProvider time, CancellationToken ct) =>
        {
            ImportSource source;
            try
            {
                source = importer.Resolve(request.Directory);
            }
            catch (ImportSourceException e)
            {
                return Results.Problem(statusCode: e.Status, title: e.Title, detail: e.Message);
            }
            var command = new ImportFaceNetDataset
            {
                DatasetId = request.DatasetId ?? NewDatasetId(source.Directory, time),
                Directory = source.Directory,
                HeldOutFraction = request.HeldOutFraction ?? HeldOutSplit.DefaultFraction,
            };
            if (!DatasetBlobLayout.IsValidDatasetId(command.DatasetId))
                return Results.Problem(statusCode: 400, title: "Invalid dataset request", detail: $"'{command.DatasetId}' is not a valid dataset id.");
            if (!(command.HeldOutFraction >= 0 && command.HeldOutFraction < 1))
                return Results.Problem(statusCode: 400, title: "Invalid dataset request", detail: $"heldOutFraction must be in [0, 1); it was {command.HeldOutFraction}.");
            if (await ConflictAsync(command.DatasetId, store, registry, ct) is { } conflict) return conflict;
            if (!registry.TryQueue(command.DatasetId, DatasetKind.FaceNet))
                return Results.Problem(statusCode: 409, title: "Dataset already queued", detail: $"Dataset '{command.DatasetId}' is already queued.");
            await bus.Publish(command, ct);
            return Results.Accepted(DatasetCatalog.Href(command.DatasetId), new DatasetStatus
            {
                DatasetId = command.DatasetId, State = DatasetState.Queued, Kind = DatasetKind.FaceNet, HeadsDone = 0, HeadsTotal = source.Rows,
            });
        })
            .WithName("ImportDataset")
            .WithSummary("Imports the original project's FaceNet files as a dataset")
            .ProducesProblem(400)
            .ProducesProblem(404)
            .ProducesProblem(409);

        api.MapGet("/", async (DatasetCatalog catalog, [Range(0, int.MaxValue)] int? offset, [Range(1, HeadsApi.MaxPageSize)] int? limit, CancellationToken ct) =>
        {
            if (Paging.Check(offset, limit) is { } problem) return problem;
            return Results.Ok(await catalog.ListAsync(offset ?? 0, limit ?? HeadsApi.DefaultPageSize, ct));
        })
            .WithName("ListDatasets")
            .WithSummary("The datasets, newest first, a page at a time")
            .ProducesProblem(400);

        api.MapGet("/{id}", async (string id, DatasetCatalog catalog, CancellationToken ct) =>
        {
            if (InvalidId(id) is { } invalid) return invalid;
            return await catalog.FindAsync(id, ct) is { } status ? Results.Ok(status) : UnknownDataset(id);
        })
            .WithName("GetDataset")
            .WithSummary("One dataset's state, files and split")
            .ProducesProblem(400)
            .ProducesProblem(404);

        api.MapGet("/{id}/files/{name}", async (string id, string name, DatasetStore store, CancellationToken ct) =>
        {
            if (InvalidId(id) is { } invalid) return invalid;
            var manifest = await store.FindManifestAsync(id, ct);
            if (manifest is null) return UnknownDataset(id);
            // Only files the manifest lists are served: the name never reaches storage otherwise.
            if (manifest.FindFile(name) is not { } file)
                return Results.Problem(statusCode: 404, title: "Unknown dataset file",
                    detail: $"Dataset '{id}' has no file '{name}'; it has {string.Join(", ", manifest.Files.Select(f => f.Name))}.");
            var stream = await store.OpenFileAsync(id, file.Name, ct);
            return Results.Stream(stream, "application/octet-stream", file.Name,
                entityTag: new EntityTagHeaderValue($"\"{file.Sha256}\""), enableRangeProcessing: true);
        })
            // Dataset files run to hundreds of megabytes; a slow link needs longer than the default.
            .WithRequestTimeout(HeadsRequestTimeouts.Long)
            .WithName("GetDatasetFile")
            .WithSummary("One file of a dataset, as its manifest lists it (ranges and ETag supported)")
            .ProducesProblem(400)
            .ProducesProblem(404);

        return api;
    }

    /// <summary>A readable default id, e.g. facenet-20261125-143002-3f9a1c.</summary>
    public static string NewDatasetId(string stem, TimeProvider time)
    {
        var stamp = time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var id = $"{stem.ToLowerInvariant()}-{stamp}-{Guid.NewGuid():N}"[..(stem.Length + 23)];
        return id.Length <= ResourceIds.MaxLength ? id : id[^ResourceIds.MaxLength..].TrimStart('-');
    }

    private static async Task<IResult?> ConflictAsync(string datasetId, DatasetStore store, DatasetBuildRegistry registry, CancellationToken ct)
    {
        if (await store.ExistsAsync(datasetId, ct))
            return Results.Problem(statusCode: 409, title: "Dataset exists",
                detail: $"Dataset '{datasetId}' already exists and is immutable; see {DatasetCatalog.Href(datasetId)}.");
        if (await store.FindProgressAsync(datasetId, ct) is { State: DatasetState.Building } progress && !store.IsStale(progress))
            return Results.Problem(statusCode: 409, title: "Dataset being built",
                detail: $"Dataset '{datasetId}' is being built ({progress.HeadsDone}/{progress.HeadsTotal} heads).");
        if (registry.Find(datasetId) is { State: DatasetState.Queued })
            return Results.Problem(statusCode: 409, title: "Dataset already queued", detail: $"Dataset '{datasetId}' is already queued.");
        return null;
    }

    private static IResult? InvalidId(string id) => DatasetBlobLayout.IsValidDatasetId(id)
        ? null
        : Results.Problem(statusCode: 400, title: "Invalid dataset id",
            detail: $"'{id}' is not a valid dataset id: use 1–{ResourceIds.MaxLength} characters of a-z, 0-9 and '-', not starting with '-', and not 'heads' or 'rejects'.");

    private static IResult UnknownDataset(string id) =>
        Results.Problem(statusCode: 404, title: "Unknown dataset", detail: $"There is no dataset '{id}'.");
}
