using System.Net.Http.Json;
using Azure.Storage.Blobs;
using Heads.Testing;
using Inference.Service.Apis;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Inference.Service.Tests;

/// <summary>
/// The inference service in memory (WebApplicationFactory) against the real RabbitMQ and Azurite, scanning its own
/// prefix of the <c>models</c> container so test classes do not see each other's models.
/// </summary>
public class InferenceHost(RealInfrastructure infrastructure) : IAsyncLifetime
{
    public RealInfrastructure Infrastructure { get; } = infrastructure;
    public string Prefix { get; } = $"t-{Guid.NewGuid():N}/";
    public BlobContainerClient Models { get; } = new BlobServiceClient(infrastructure.BlobsConnectionString).GetBlobContainerClient("models");
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Extra settings for the host (e.g. a smaller upload limit).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>Serve over real Kestrel on a loopback port instead of the in-memory test server (for timing-sensitive tests).</summary>
    protected virtual bool UsesKestrel => false;

    /// <summary>Stores the models the host should find at start.</summary>
    protected virtual Task StoreModelsAsync(CancellationToken ct) => Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await Models.CreateIfNotExistsAsync(cancellationToken: ct);
        await StoreModelsAsync(ct);
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in Infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Inference:ModelsPrefix", Prefix);
            web.UseSetting("Inference:SampleFaces", "2");
            web.UseSetting("Inference:SampleSize", "128");
            // The test machine's cores are shared; one torch thread per process avoids spinning against the others.
            web.UseSetting("Inference:TorchThreads", "1");
            foreach (var (key, value) in Settings) web.UseSetting(key, value);
        });
        if (UsesKestrel) Factory.UseKestrel(0);
        Client = Factory.CreateClient();
        await WaitForScanAsync(ct);
    }

    /// <summary>Waits until the host has scanned storage at least once.</summary>
    public async Task<ModelsResponse> WaitForScanAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var models = await Client.GetFromJsonAsync<ModelsResponse>("/api/v1/models", Http.Json, ct);
            if (models!.ScannedAt is not null) return models;
            Assert.True(DateTime.UtcNow < deadline, "The service never finished its first model scan.");
            await Task.Delay(100, ct);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
