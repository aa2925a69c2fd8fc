using System.ComponentModel.DataAnnotations;
using Dataset.Service.Samples;
using Heads.Core.Contracts;

namespace Dataset.Service.Apis;

public sealed record HeadsPage(int Count, int Offset, int Limit, string? Prefix, IReadOnlyList<string> Ids);

public sealed record RejectedHeadsPage(int Count, int Offset, int Limit, IReadOnlyList<HeadRejection> Rejected);

public static class HeadsApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 5000;

    public static RouteGroupBuilder MapHeadsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/heads").WithTags("Heads");

        api.MapGet("/", async (HeadSampleStore store, string? prefix, [Range(0, int.MaxValue)] int? offset, [Range(1, HeadsApi.MaxPageSize)] int? limit, CancellationToken ct) =>
        {
            if (Paging.Check(offset, limit) is { } problem) return problem;
            if (!string.IsNullOrEmpty(prefix) && !ResourceIds.IsValid(prefix))
                return Results.Problem(statusCode: 400, title: "Invalid prefix", detail: $"'{prefix}' is not a valid head id prefix (a-z, 0-9, '-').");
            var ids = await store.ListProcessedAsync(string.IsNullOrEmpty(prefix) ? null : prefix, ct);
            int o = offset ?? 0, l = limit ?? DefaultPageSize;
            return Results.Ok(new HeadsPage(ids.Count, o, l, prefix, ids.Skip(o).Take(l).ToList()));
        })
            .WithName("ListHeads")
            .WithSummary("The processed heads, a page at a time, optionally by id prefix")
            .ProducesProblem(400);

        api.MapGet("/rejected", async (HeadSampleStore store, [Range(0, int.MaxValue)] int? offset, [Range(1, HeadsApi.MaxPageSize)] int? limit, CancellationToken ct) =>
        {
            if (Paging.Check(offset, limit) is { } problem) return problem;
            var page = await store.ListRejectedAsync(offset ?? 0, limit ?? DefaultPageSize, ct);
            return Results.Ok(new RejectedHeadsPage(page.Count, page.Offset, page.Limit, page.Items));
        })
            .WithName("ListRejectedHeads")
            .WithSummary("The heads that were rejected, with the reason, a page at a time")
            .ProducesProblem(400);

        api.MapGet("/{id}", async (string id, HeadSampleStore store, CancellationToken ct) =>
        {
            if (!ResourceIds.IsValid(id))
                return Results.Problem(statusCode: 400, title: "Invalid head id", detail: $"'{id}' is not a valid head id.");
            return await store.FindAsync(id, ct) is { } record
                ? Results.Ok(record)
                : Results.Problem(statusCode: 404, title: "Unknown head", detail: $"Head '{id}' has not been processed.");
        })
            .WithName("GetHead")
            .WithSummary("One processed head's record")
            .ProducesProblem(400)
            .ProducesProblem(404);

        return api;
    }
}

internal static class Paging
{
    public static IResult? Check(int? offset, int? limit)
    {
        if (offset is < 0)
            return Results.Problem(statusCode: 400, title: "Invalid offset", detail: $"offset must be 0 or more; it was {offset}.");
        if (limit is < 1 or > HeadsApi.MaxPageSize)
            return Results.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be between 1 and {HeadsApi.MaxPageSize}; it was {limit}.");
        return null;
    }
}
