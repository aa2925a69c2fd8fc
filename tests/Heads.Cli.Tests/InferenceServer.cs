using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Heads.Core.Inference;
using Heads.Core.Models;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Heads.Cli.Tests;

/// <summary>
/// The real inference service, listening on a loopback port (Kestrel) so the tool can reach it from its own process,
/// against real RabbitMQ and Azurite, serving the workspace's FaceNet3 and HeadsNet stored the way the trainer stores
/// models (job manifest plus weights in the <c>models</c> container, under this fixture's own prefix).
/// </summary>
public sealed class InferenceServer(Workspace workspace) : IAsyncLifetime
{
    private readonly RealInfrastructure infrastructure = new();
    private WebApplicationFactory<Inference.Service.InferenceOptions>? factory;

    public Workspace Workspace { get; } = workspace;
    public Guid FaceNet3Job { get; } = Guid.NewGuid();
    public Guid HeadsNetJob { get; } = Guid.NewGuid();
    public string Url { get; private set; } = "";

    /// <summary>FaceNet3's stored gallery (any PNG will do: the tool must write exactly what the service answers).</summary>
    public byte[] FaceNet3Gallery { get; } = Heads.Core.Rendering.ModelPictures.LossCurves([0.4, 0.2, 0.1], [0.5, 0.3], "stand-in gallery", 240, 160);

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await infrastructure.InitializeAsync();
        var prefix = $"cli-{Guid.NewGuid():N}/";
        var models = new BlobServiceClient(infrastructure.BlobsConnectionString).GetBlobContainerClient("models");
        await models.CreateIfNotExistsAsync(cancellationToken: ct);
        await StoreAsync(models, prefix, FaceNet3Job, TrainingModel.FaceNet3, Workspace.FaceNet3File, Workspace.FaceNet3.Manifest, ct);
        await StoreAsync(models, prefix, HeadsNetJob, TrainingModel.HeadsNet, Workspace.HeadsNetFile, Workspace.HeadsNet.Manifest, ct);
        await models.GetBlobClient(prefix + ModelJobLayout.GalleryBlob(FaceNet3Job)).UploadAsync(new BinaryData(FaceNet3Gallery), overwrite: true, ct);

        int port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        factory = new WebApplicationFactory<Inference.Service.InferenceOptions>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Inference:ModelsPrefix", prefix);
            web.UseSetting("Inference:SampleFaces", "2");
            web.UseSetting("Inference:SampleSize", "128");
            web.UseSetting("Inference:TorchThreads", "1");
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        factory.StartServer();

        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var listing = await http.GetFromJsonAsync<JsonObject>("/api/v1/models", ct);
            if (listing?["models"] is JsonArray { Count: 2 }) break;
            Assert.True(DateTime.UtcNow < deadline, $"the inference service did not load both models: {listing}");
            await Task.Delay(200, ct);
        }
    }

    private static async Task StoreAsync(BlobContainerClient models, string prefix, Guid jobId, TrainingModel kind, string weightsFile, ModelManifest manifest, CancellationToken ct)
    {
        await models.GetBlobClient(prefix + ModelJobLayout.WeightsBlob(jobId)).UploadAsync(weightsFile, ct);
        var job = ModelJobLayout.SingleNetworkManifest(jobId, kind, "test-dataset", DateTimeOffset.UtcNow, manifest);
        await models.GetBlobClient(prefix + ModelJobLayout.ManifestBlob(jobId)).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(job.ToJsonString())), overwrite: true, ct);
    }

    /// <summary>A loopback port nothing listens on, below the ephemeral range (see <see cref="Heads.Testing.RealInfrastructure.FreePort"/>).</summary>
    public static int FreePort() => Heads.Testing.RealInfrastructure.FreePort();

    public async ValueTask DisposeAsync()
    {
        if (factory is not null) await factory.DisposeAsync();
        await infrastructure.DisposeAsync();
    }
}
