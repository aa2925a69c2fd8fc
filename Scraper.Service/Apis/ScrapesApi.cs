using Heads.Core.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using Scraper.Service.Scraping;

namespace Scraper.Service.Apis;

/// <summary>POST body of /api/v1/scrapes. count's cap is Scraper:MaxCountPerRequest (documented by the OpenAPI document).</summary>
public sealed record ScrapeRequest(int Count, string? Source, [property: System.ComponentModel.DataAnnotations.Range(typeof(long), "-9223372036854775808", "9223372036854775807")] long? Seed);

public sealed class ScraperOptions
{
    public int MaxCountPerRequest { get; set; } = 10_000;
    /// <summary>Heads to scrape when the service starts (0: none). The run command sets this so the pipeline has data.</summary>
    public int ScrapeOnStartCount { get; set; }
    public long ScrapeOnStartSeed { get; set; } = 1;
    /// <summary>Heads made at once (0: one per core, at most 8).</summary>
    public int Concurrency { get; set; }

    public int EffectiveConcurrency => Concurrency > 0 ? Math.Min(Concurrency, 64) : Math.Clamp(Environment.ProcessorCount, 1, 8);
}

public static class ScrapesApi
{
    public static RouteGroupBuilder MapScrapesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/scrapes").WithTags("Scrapes");

        api.MapPost("/", async (ScrapeRequest request, ScrapeRunner runner, ScrapeRegistry registry, IPublishEndpoint bus,
            IOptions<ScraperOptions> options, CancellationToken ct) =>
        {
            var max = options.Value.MaxCountPerRequest;
            if (request.Count < 1 || request.Count > max)
                return Results.Problem(statusCode: 400, title: "Invalid count", detail: $"count must be between 1 and {max}; it was {request.Count}.");
            string source;
            try
            {
                source = runner.Source(request.Source ?? "synthetic").Name;
            }
            catch (ArgumentException ex)
            {
                return Results.Problem(statusCode: 400, title: "Unknown source", detail: ex.Message);
            }
            var command = new ScrapeHeads { ScrapeId = Guid.NewGuid(), Count = request.Count, Source = source, Seed = request.Seed ?? 1 };
            var status = registry.Register(new ScrapeStatus { ScrapeId = command.ScrapeId, Source = source, Requested = command.Count, Seed = command.Seed });
            await bus.Publish(command, ct);
            return Results.Accepted($"/api/v1/scrapes/{command.ScrapeId}", status);
        })
            .WithName("StartScrape")
            .WithSummary("Starts a scrape of count heads from a source (synthetic by default)")
            .ProducesProblem(400);

        api.MapGet("/", (ScrapeRegistry registry) => registry.All())
            .WithName("ListScrapes")
            .WithSummary("The scrapes this scraper knows, with their progress");

        api.MapGet("/{id:guid}", (Guid id, ScrapeRegistry registry) =>
            registry.Find(id) is { } status
                ? Results.Ok(status)
                : Results.Problem(statusCode: 404, title: "Unknown scrape", detail: $"No scrape {id} on this scraper."))
            .WithName("GetScrape")
            .WithSummary("One scrape's progress")
            .ProducesProblem(404);

        api.MapDelete("/{id:guid}", (Guid id, ScrapeRegistry registry) =>
        {
            if (registry.Find(id) is null)
                return Results.Problem(statusCode: 404, title: "Unknown scrape", detail: $"No scrape {id} on this scraper.");
            return registry.Cancel(id)
                ? Results.Accepted($"/api/v1/scrapes/{id}", registry.Find(id))
                : Results.Problem(statusCode: 409, title: "Scrape already finished", detail: $"Scrape {id} is {registry.Find(id)!.State}.");
        })
            .WithName("CancelScrape")
            .WithSummary("Cancels a queued or running scrape")
            .ProducesProblem(404)
            .ProducesProblem(409);

        return api;
    }
}
