using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dataset.Service.Importing;
using Heads.Core.Contracts;
using Heads.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

[assembly: AssemblyFixture(typeof(Dataset.Service.Tests.ServiceFixture))]

namespace Dataset.Service.Tests;

/// <summary>
/// One real RabbitMQ and Azurite, and one dataset service in-process on them, for the whole assembly. An observer
/// endpoint on the same bus records the service's events and faults. Tests use their own head id prefixes and dataset
/// ids, so they can share it.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly RealInfrastructure _infrastructure = new();
    private WebApplicationFactory<Program>? _factory;
    private HostReceiveEndpointHandle? _observer;
    private string? _emptyImportRoot;

    public ConcurrentQueue<Fault<HeadScraped>> HeadFaults { get; } = new();
    public ConcurrentQueue<Fault<BuildDataset>> BuildFaults { get; } = new();
    public ConcurrentQueue<Fault<ImportFaceNetDataset>> ImportFaults { get; } = new();
    public ConcurrentQueue<DatasetBuilt> Built { get; } = new();

    public HttpClient Client { get; private set; } = null!;
    public RealInfrastructure Infrastructure => _infrastructure;
    public IServiceProvider Services => _factory!.Services;
    public IBus Bus => Services.GetRequiredService<IBus>();
    public BlobServiceClient Blobs { get; private set; } = null!;
    public BlobContainerClient Datasets => Blobs.GetBlobContainerClient(HeadsBlobContainers.DatasetsName);

    public async ValueTask InitializeAsync()
    {
        await _infrastructure.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in _infrastructure.ConnectionStrings) web.UseSetting(key, value);
            // Without the shared data only the import of the original files can fail; the folder-name rules still hold.
            web.UseSetting("Dataset:ImportRoot", SharedData.RootOrNull ?? (_emptyImportRoot = Directory.CreateTempSubdirectory("heads-import-root-").FullName));
            web.UseSetting("Dataset:ProgressInterval", "00:00:00.200");
            // Small blocks so the test datasets span several staged blocks.
            web.UseSetting("Dataset:BlockSizeBytes", (256 * 1024).ToString());
            web.UseSetting("Dataset:BuildStaleAfter", "00:00:30");
            web.UseSetting("Dataset:Pipeline:BuildOnScrape", "true");
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Dataset.Service", LogLevel.Information));
        });
        Client = _factory.CreateClient();
        Blobs = new BlobServiceClient(_infrastructure.BlobsConnectionString);
        await WaitUntilHealthyAsync();

        _observer = Bus.ConnectReceiveEndpoint("dataset-tests-observer", e =>
        {
            e.Handler<Fault<HeadScraped>>(c => { HeadFaults.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<Fault<BuildDataset>>(c => { BuildFaults.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<Fault<ImportFaceNetDataset>>(c => { ImportFaults.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<DatasetBuilt>(c => { Built.Enqueue(c.Message); return Task.CompletedTask; });
        });
        await _observer.Ready;
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var response = await Client.GetAsync("/health");
            if (response.IsSuccessStatusCode) return;
            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(200);
        }
        throw new TimeoutException("The dataset service did not become healthy: " + last);
    }

    /// <summary>Stores a head as the scraper would: meshes/{id}.ply and faces/{id}.jpg.</summary>
    public async Task StoreHeadAsync(string headId, byte[] ply, byte[] photo)
    {
        await Blobs.GetBlobContainerClient(HeadsBlobContainers.MeshesName).GetBlobClient(headId + ".ply").UploadAsync(new BinaryData(ply), overwrite: true);
        await Blobs.GetBlobContainerClient(HeadsBlobContainers.FacesName).GetBlobClient(headId + ".jpg").UploadAsync(new BinaryData(photo), overwrite: true);
    }

    public static HeadScraped ScrapedEvent(string headId) => new()
    {
        HeadId = headId,
        ScrapeId = Guid.NewGuid(),
        Source = "test",
        FaceBlob = $"{HeadsBlobContainers.FacesName}/{headId}.jpg",
        MeshBlob = $"{HeadsBlobContainers.MeshesName}/{headId}.ply",
        ScrapedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Stores synthetic heads under the given ids, announces them and waits until each is processed.</summary>
    public async Task ProcessHeadsAsync(IEnumerable<string> headIds, Func<string, ulong>? seedOf = null)
    {
        var ids = headIds.ToList();
        int i = 0;
        foreach (var id in ids)
        {
            var head = TestHeads.Get(seedOf?.Invoke(id) ?? (ulong)(1 + i++ % 3));
            await StoreHeadAsync(id, head.Ply, head.Jpeg);
            await Bus.Publish(ScrapedEvent(id));
        }
        foreach (var id in ids)
            await WaitForAsync(async () => (await Datasets.GetBlobClient($"heads/{id}/sample.json").ExistsAsync()).Value, $"head {id} processed");
    }

    private readonly ConcurrentDictionary<string, Lazy<Task>> _headSets = new();

    /// <summary>Processes heads {prefix}00..{prefix}{count-1} once per fixture, however many tests ask.</summary>
    public Task EnsureHeadsAsync(string prefix, int count) =>
        _headSets.GetOrAdd(prefix, p => new Lazy<Task>(() => ProcessHeadsAsync(Enumerable.Range(0, count).Select(i => $"{p}{i:D2}")))).Value;

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, double seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {seconds} s waiting for {what}.");
            await Task.Delay(50);
        }
    }

    public async Task<T> WaitForAsync<T>(Func<T?> find, string what, double seconds = 30) where T : class
    {
        T? found = null;
        await WaitForAsync(() => Task.FromResult((found = find()) is not null), what, seconds);
        return found!;
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json))!;
    }

    /// <summary>Waits until GET /api/v1/datasets/{id} says Ready (or fails the test on Failed) and returns the status.</summary>
    public async Task<JsonElement> WaitForDatasetAsync(string datasetId, double seconds = 30)
    {
        JsonElement status = default;
        await WaitForAsync(async () =>
        {
            var response = await Client.GetAsync($"/api/v1/datasets/{datasetId}");
            if (!response.IsSuccessStatusCode) return false;
            status = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            var state = status.GetProperty("state").GetString();
            Assert.NotEqual("Failed", state);
            return state == "Ready";
        }, $"dataset {datasetId} ready", seconds);
        return status;
    }

    /// <summary>Every blob under a prefix with its ETag, to prove something did not change.</summary>
    public async Task<Dictionary<string, string>> SnapshotAsync(string prefix)
    {
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var blob in Datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
            blobs[blob.Name] = blob.Properties.ETag!.Value.ToString();
        return blobs;
    }

    public async ValueTask DisposeAsync()
    {
        if (_observer is not null) await _observer.StopAsync();
        Client?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        await _infrastructure.DisposeAsync();
        if (_emptyImportRoot is not null) Directory.Delete(_emptyImportRoot, recursive: true);
    }
}
