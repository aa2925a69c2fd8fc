using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;

namespace Heads.AppHost.Tests;

/// <summary>The whole stack against real RabbitMQ and Azurite executables (started once per test assembly).</summary>
public sealed class WholeStackTests(StackFixture stack)
{
    private static readonly string[] Services = StackFixture.Services;
    private DistributedApplication? _app = stack.App;

    [Fact]
    public async Task Every_service_reports_healthy_including_broker_and_storage()
    {
        foreach (var name in Services)
        {
            using var http = _app!.CreateHttpClient(name);
            var response = await http.GetAsync("/health", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_ping_published_over_http_reaches_every_service_in_one_trace()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scraper = _app!.CreateHttpClient("scraper");
        var accepted = await scraper.PostAsync("/api/v1/diagnostics/pings", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await accepted.Content.ReadFromJsonAsync<JsonElement>(ct);
        var pingId = body.GetProperty("pingId").GetGuid();
        var traceId = body.GetProperty("traceId").GetString();

        foreach (var name in (string[])["dataset", "inference", "scraper"])
        {
            using var http = _app!.CreateHttpClient(name);
            var receipt = await PollReceiptAsync(http, pingId, ct);
            Assert.Equal(traceId, receipt.GetProperty("traceId").GetString());
        }
    }

    [Fact]
    public async Task Blob_storage_round_trips_in_the_models_container()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await _app!.GetConnectionStringAsync("blobs", ct);
        var container = new BlobServiceClient(connectionString).GetBlobContainerClient("models");
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        var payload = new byte[64 * 1024];
        new Random(7).NextBytes(payload);
        var blob = container.GetBlobClient($"tests/{Guid.NewGuid():N}.bin");
        await blob.UploadAsync(new BinaryData(payload), ct);
        var downloaded = await blob.DownloadContentAsync(ct);
        Assert.Equal(payload, downloaded.Value.Content.ToArray());
    }

    private static async Task<JsonElement> PollReceiptAsync(HttpClient http, Guid pingId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await http.GetAsync($"/api/v1/diagnostics/pings/{pingId}", ct);
            if (response.StatusCode == HttpStatusCode.OK)
                return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.True(DateTime.UtcNow < deadline, $"Ping {pingId} did not reach {http.BaseAddress} in 60 s (last answer {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}).");
            await Task.Delay(200, ct);
        }
    }
}
