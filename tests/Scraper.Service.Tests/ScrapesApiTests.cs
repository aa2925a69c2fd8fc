using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Heads.Testing;
using MassTransit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Testing;
using Scraper.Service.Scraping;

[assembly: AssemblyFixture(typeof(RealInfrastructure))]

namespace Scraper.Service.Tests;

/// <summary>The scraper over HTTP against real RabbitMQ and Azurite; a separate bus listens for HeadScraped.</summary>
public sealed class ScrapesApiTests(RealInfrastructure infrastructure) : IAsyncLifetime
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private WebApplicationFactory<Program>? _factory;
    private IBusControl? _listener;
    private readonly ConcurrentQueue<HeadScraped> _scraped = new();
    private readonly ConcurrentQueue<ScrapeCompleted> _completed = new();

    public async ValueTask InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Scraper:Synthetic:PhotoSize", "96");
        });
        _ = _factory.Server; // start the host (and its bus)
        _listener = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(infrastructure.RabbitMqConnectionString));
            cfg.ReceiveEndpoint("scraper-tests-" + Guid.NewGuid().ToString("N"), e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<HeadScraped>(ctx => { _scraped.Enqueue(ctx.Message); return Task.CompletedTask; });
                e.Handler<ScrapeCompleted>(ctx => { _completed.Enqueue(ctx.Message); return Task.CompletedTask; });
            });
        });
        await _listener.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null) await _listener.StopAsync();
        if (_factory is not null) await _factory.DisposeAsync();
    }

    private async Task<ScrapeStatus> WaitForEndAsync(HttpClient http, Guid id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await http.GetFromJsonAsync<ScrapeStatus>($"/api/v1/scrapes/{id}", Json, TestContext.Current.CancellationToken);
            if (status!.FinishedAt is not null) return status;
            Assert.True(DateTime.UtcNow < deadline, $"Scrape {id} still {status.State} after {timeout}.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_scrape_stores_photo_and_mesh_per_head_publishes_HeadScraped_and_repeats_add_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var http = _factory!.CreateClient();
        const long seed = 9100;
        var response = await http.PostAsJsonAsync("/api/v1/scrapes", new { count = 3, source = "synthetic", seed }, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var queued = await response.Content.ReadFromJsonAsync<ScrapeStatus>(Json, ct);
        var done = await WaitForEndAsync(http, queued!.ScrapeId, TimeSpan.FromSeconds(60));
        Assert.Equal(ScrapeState.Completed, done.State);
        Assert.Equal(3, done.Stored + done.AlreadyPresent);

        var blobs = new BlobServiceClient(infrastructure.BlobsConnectionString);
        for (long s = seed; s < seed + 3; s++)
        {
            Assert.True((await blobs.GetBlobContainerClient("faces").GetBlobClient($"syn-{s}.jpg").ExistsAsync(ct)).Value);
            Assert.True((await blobs.GetBlobContainerClient("meshes").GetBlobClient($"syn-{s}.ply").ExistsAsync(ct)).Value);
        }
        // Scraper:Synthetic:PhotoSize (96 here) reaches the synthetic source.
        var photo = (await blobs.GetBlobContainerClient("faces").GetBlobClient($"syn-{seed}.jpg").DownloadContentAsync(ct)).Value.Content.ToArray();
        var info = SixLabors.ImageSharp.Image.Identify(photo);
        Assert.Equal((96, 96), (info.Width, info.Height));
        var etag = (await blobs.GetBlobContainerClient("meshes").GetBlobClient($"syn-{seed}.ply").GetPropertiesAsync(cancellationToken: ct)).Value.ETag;

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_scraped.Count(e => e.ScrapeId == queued.ScrapeId) < 3 && DateTime.UtcNow < deadline) await Task.Delay(50, ct);
        var events = _scraped.Where(e => e.ScrapeId == queued.ScrapeId).OrderBy(e => e.HeadId, StringComparer.Ordinal).ToList();
        Assert.Equal(["syn-9100", "syn-9101", "syn-9102"], events.Select(e => e.HeadId));
        Assert.Equal("meshes/syn-9100.ply", events[0].MeshBlob);
        while (!_completed.Any(e => e.ScrapeId == queued.ScrapeId) && DateTime.UtcNow < deadline) await Task.Delay(50, ct);
        Assert.Equal(["syn-9100", "syn-9101", "syn-9102"], _completed.Single(e => e.ScrapeId == queued.ScrapeId).HeadIds);

        var again = await http.PostAsJsonAsync("/api/v1/scrapes", new { count = 3, source = "synthetic", seed }, ct);
        var repeat = await WaitForEndAsync(http, (await again.Content.ReadFromJsonAsync<ScrapeStatus>(Json, ct))!.ScrapeId, TimeSpan.FromSeconds(60));
        Assert.Equal(3, repeat.AlreadyPresent);
        Assert.Equal(0, repeat.Stored);
        Assert.Equal(etag, (await blobs.GetBlobContainerClient("meshes").GetBlobClient($"syn-{seed}.ply").GetPropertiesAsync(cancellationToken: ct)).Value.ETag);
    }

    [Fact]
    public async Task A_running_scrape_can_be_cancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        var http = _factory!.CreateClient();
        var response = await http.PostAsJsonAsync("/api/v1/scrapes", new { count = 500, seed = 50_000 }, ct);
        var id = (await response.Content.ReadFromJsonAsync<ScrapeStatus>(Json, ct))!.ScrapeId;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await http.GetFromJsonAsync<ScrapeStatus>($"/api/v1/scrapes/{id}", Json, ct))!.Done == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The scrape never started.");
            await Task.Delay(50, ct);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync($"/api/v1/scrapes/{id}", ct)).StatusCode);
        var done = await WaitForEndAsync(http, id, TimeSpan.FromSeconds(30));
        Assert.Equal(ScrapeState.Cancelled, done.State);
        Assert.InRange(done.Done, 1, 499);
    }

    [Fact]
    public async Task A_scrape_from_an_unconfigured_source_fails_at_once_with_its_reason_and_holds_nothing_up()
    {
        var ct = TestContext.Current.CancellationToken;
        var http = _factory!.CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var response = await http.PostAsJsonAsync("/api/v1/scrapes", new { count = 3, source = "folder" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var failed = await WaitForEndAsync(http, (await response.Content.ReadFromJsonAsync<ScrapeStatus>(Json, ct))!.ScrapeId, TimeSpan.FromSeconds(30));
        Assert.Equal(ScrapeState.Failed, failed.State);
        Assert.Contains("Scraper:Folder:Path", failed.Error);
        // A configuration error is not retried (the retry policy would have held the one-at-a-time queue for ~16 s).
        var good = await http.PostAsJsonAsync("/api/v1/scrapes", new { count = 1, seed = 77_000 }, ct);
        var done = await WaitForEndAsync(http, (await good.Content.ReadFromJsonAsync<ScrapeStatus>(Json, ct))!.ScrapeId, TimeSpan.FromSeconds(30));
        Assert.Equal(ScrapeState.Completed, done.State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the good scrape waited: {clock.Elapsed.TotalSeconds:F1} s in all");
    }

    [Theory]
    [InlineData(0, "synthetic", "Invalid count")]
    [InlineData(1_000_000, "synthetic", "Invalid count")]
    [InlineData(1, "telepathy", "Unknown source")]
    public async Task Bad_requests_get_problem_details(int count, string source, string title)
    {
        var http = _factory!.CreateClient();
        var response = await http.PostAsJsonAsync("/api/v1/scrapes", new { count, source }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(TestContext.Current.CancellationToken);
        Assert.Equal(title, problem!.Title);
    }

    [Fact]
    public async Task Unknown_scrape_is_404()
    {
        var http = _factory!.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/v1/scrapes/{Guid.NewGuid()}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/api/v1/scrapes/{Guid.NewGuid()}", TestContext.Current.CancellationToken)).StatusCode);
    }
}
