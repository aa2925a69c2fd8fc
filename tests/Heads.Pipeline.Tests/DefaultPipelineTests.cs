using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Heads.Pipeline.Tests;

/// <summary>
/// The run command's pipeline on a reduced configuration, through the real AppHost (RabbitMQ and Azurite executables,
/// all services): 64 synthetic heads are scraped, a FaceNet dataset is built, FaceNet3 trains, inference loads it and
/// answers a face with a non-empty volume.
/// </summary>
public sealed class DefaultPipelineTests : IAsyncLifetime
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "heads-pipeline-" + Guid.NewGuid().ToString("N"));
    private DistributedApplication? _app;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Heads_AppHost>(
        [
            $"--Heads:StateDirectory={_state}",
            "--Heads:Trainer:Replicas=1",
            "--Heads:Pipeline:Heads=64",
            "--Heads:Pipeline:Training:Models=FaceNetPca",
            "--Heads:Pipeline:Training:FaceNetPca:Epochs=30",
        ], timeout.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("Heads.AppHost.Resources", LogLevel.Warning)
            .AddFilter("System.Net.Http", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Warning));
        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);
        foreach (var name in (string[])["rabbitmq", "blobs", "scraper", "dataset", "trainer", "inference"])
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Scraped_heads_become_a_trained_model_that_answers_faces()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        var ct = timeout.Token;
        using var inference = _app!.CreateHttpClient("inference");

        JsonElement model = default;
        while (true)
        {
            var models = await inference.GetFromJsonAsync<JsonElement>("/api/v1/models", ct);
            var faceModels = models.GetProperty("models").EnumerateArray().Where(m => Text(m, "model") is "FaceNetPca").ToList();
            if (faceModels.Count > 0) { model = faceModels[0]; break; }
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        Assert.True(model.TryGetProperty("quality", out var quality) && quality.ValueKind == JsonValueKind.Object,
            "The trained model carries its held-out quality report: " + model);
        // 64 heads leave about 6 held-out heads: the gate decides either way, and says why.
        Assert.True(model.TryGetProperty("promoted", out var promoted) && promoted.ValueKind is JsonValueKind.True or JsonValueKind.False, model.ToString());
        Assert.StartsWith(promoted.GetBoolean() ? "promoted" : "not promoted", Text(model, "promotionReason"));
        var jobId = Text(model, "jobId");

        var faceA = await PredictAsync(inference, await File.ReadAllBytesAsync(SharedData.TestFace, ct), "image/jpeg", jobId, ct);
        Assert.True(faceA.Count(v => v > 0) > 100, "The real test photograph gives a non-empty head.");

        var sampleList = await inference.GetFromJsonAsync<JsonElement>("/api/v1/samples", ct);
        var samples = sampleList.EnumerateArray().Select(s => Text(s, "url")!).Take(2).ToList();
        Assert.Equal(2, samples.Count);
        var heads = new List<byte[]>();
        foreach (var url in samples)
            heads.Add(await PredictAsync(inference, await inference.GetByteArrayAsync(url, ct), "image/jpeg", jobId, ct));
        Assert.All(heads, h => Assert.True(h.Count(v => v > 0) > 100));
        Assert.NotEqual(heads[0], heads[1]); // two different faces, two different heads

        // The trainer drew the held-out gallery and the loss curves beside the model.
        foreach (var picture in new[] { "gallery", "losses" })
        {
            using var response = await inference.GetAsync($"/api/v1/models/{jobId}/{picture}.png", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var png = await response.Content.ReadAsByteArrayAsync(ct);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
    }

    private static async Task<byte[]> PredictAsync(HttpClient http, byte[] photo, string contentType, string? jobId, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(photo);
        part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(part, "image", "face.jpg");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/faces/predictions?format=raw&model={jobId}") { Content = form };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        using var response = await http.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var volume = await response.Content.ReadAsByteArrayAsync(ct);
        Assert.Equal(32 * 32 * 32, volume.Length);
        return volume;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
