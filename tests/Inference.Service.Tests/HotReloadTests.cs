using System.Collections.Concurrent;
using System.Net;
using Heads.Core.Contracts;
using Heads.Core.Imaging;
using Heads.Core.Models;
using Inference.Service.Apis;
using Inference.Service.Serving;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Inference.Service.Tests;

/// <summary>
/// Models change under load: a new job announced on the real bus is served without a failed request, and a job
/// removed from storage is unloaded only after the requests using it have finished.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class HotReloadTests(ReloadHost host) : IClassFixture<ReloadHost>
{
    [Fact]
    public async Task ModelTrained_on_the_bus_swaps_models_while_concurrent_requests_keep_succeeding()
    {
        var ct = TestContext.Current.CancellationToken;
        var face = FaceImage.Load(Http.TestFacePhoto);
        using var second = ModelJobs.FaceNet(TrainingModel.FaceNet3, seed: 22, radius: 13);
        var secondJob = Guid.NewGuid();
        var expected = new Dictionary<Guid, byte[]>
        {
            [host.FirstJob] = host.First.PredictVolumes(face),
            [secondJob] = second.PredictVolumes(face),
        };
        Assert.NotEqual(expected[host.FirstJob], expected[secondJob]);

        var registry = host.Factory.Services.GetRequiredService<ModelRegistry>();
        var firstServed = registry.Current.Find(host.FirstJob)!;
        Assert.NotNull(firstServed);

        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<(Guid Job, string Query), int>();
        using var stop = new CancellationTokenSource();
        // Default-model and pinned-to-first requests, four of each at a time, until told to stop.
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var query = w % 2 == 0 ? "" : $"&model={host.FirstJob}";
            while (!stop.IsCancellationRequested)
            {
                var response = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?format=raw" + query, Http.Raw(Http.TestFacePhoto, "image/jpeg"));
                if (response.StatusCode == HttpStatusCode.NotFound && query.Length > 0 && registry.Current.Find(host.FirstJob) is null)
                {
                    seen.AddOrUpdate((Guid.Empty, query), 1, (_, n) => n + 1);
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }
                var job = Guid.Parse(response.Headers.GetValues("X-Heads-Job").Single());
                var volume = await response.Content.ReadAsByteArrayAsync();
                if (!expected[job].AsSpan().SequenceEqual(volume)) failures.Enqueue($"job {job} answered a volume that is not its own");
                seen.AddOrUpdate((job, query), 1, (_, n) => n + 1);
            }
        })).ToArray();

        await WaitAsync(() => seen.Keys.Count(k => k.Job == host.FirstJob) == 2, "requests to the first model", ct);

        // Trainer side: weights first, the manifest last, then the event on the real bus.
        await ModelJobs.WriteAsync(host.Models, host.Prefix, secondJob, TrainingModel.FaceNet3, second, DateTimeOffset.UtcNow, ModelJobs.Quality(0.7), ct);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(host.Infrastructure.RabbitMqConnectionString)));
        await bus.StartAsync(ct);
        try
        {
            await bus.Publish(new ModelTrained { JobId = secondJob, Model = TrainingModel.FaceNet3, DatasetId = "test-dataset", ManifestBlob = $"models/{host.Prefix}{secondJob}/manifest.json" }, ct);
        }
        finally
        {
            await bus.StopAsync(ct);
        }

        await WaitAsync(async () =>
        {
            var models = await Http.ReadAsync<ModelsResponse>(await host.Client.GetAsync("/api/v1/models", ct));
            return models.Models.FirstOrDefault()?.JobId == secondJob && models.Models[0].IsDefault;
        }, "the second model to be listed as the default", ct);
        await WaitAsync(() => seen.ContainsKey((secondJob, "")), "a default request answered by the second model", ct);

        // Remove the first job from storage; a reload retires it while pinned requests are still running.
        await foreach (var blob in host.Models.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = host.Prefix + host.FirstJob }, ct))
            await host.Models.DeleteBlobAsync(blob.Name, cancellationToken: ct);
        var reloaded = await Http.ReadAsync<ModelsResponse>(await host.Client.PostAsync("/api/v1/models/reload", null, ct));
        Assert.Equal([secondJob], reloaded.Models.Select(m => m.JobId));
        await WaitAsync(() => seen.ContainsKey((Guid.Empty, $"&model={host.FirstJob}")), "pinned requests to see the first model gone", ct);

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(failures);
        Assert.True(firstServed.IsDisposed, "The retired model was not disposed after its requests finished.");
        Assert.False(registry.Current.Find(secondJob)!.IsDisposed);
    }

    private static Task WaitAsync(Func<bool> condition, string what, CancellationToken ct) => WaitAsync(() => Task.FromResult(condition()), what, ct);

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(50, ct);
        }
    }
}

public sealed class ReloadHost(Heads.Testing.RealInfrastructure infrastructure) : InferenceHost(infrastructure)
{
    public Guid FirstJob { get; } = Guid.NewGuid();
    public FaceNetModel First { get; } = ModelJobs.FaceNet(TrainingModel.FaceNet3, seed: 11, radius: 7);

    protected override Task StoreModelsAsync(CancellationToken ct) =>
        ModelJobs.WriteAsync(Models, Prefix, FirstJob, TrainingModel.FaceNet3, First, DateTimeOffset.UtcNow.AddHours(-1), ModelJobs.Quality(0.5), ct);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        First.Dispose();
    }
}
