using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Heads.Testing;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Trainer.Service.Jobs;

namespace Trainer.Service.Tests;

/// <summary>One trainer replica: the real service host (HTTP, bus consumers, storage) on the shared test infrastructure.</summary>
internal sealed class TrainerHost : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly WebApplicationFactory<Program> _factory;
    private bool _disposed;

    private TrainerHost(WebApplicationFactory<Program> factory, string replica)
    {
        _factory = factory;
        Replica = replica;
        Http = factory.CreateClient();
    }

    public string Replica { get; }
    public HttpClient Http { get; }
    public IServiceProvider Services => _factory.Services;

    public static TrainerHost Start(RealInfrastructure infrastructure, string replica, int torchThreads = 2, IReadOnlyDictionary<string, string>? settings = null)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Trainer:ReplicaName", replica);
            web.UseSetting("Trainer:TorchThreads", torchThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Trainer:ProgressInterval", "00:00:00.100");
            web.UseSetting("Trainer:ConsumerStopTimeout", "00:00:00.200");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseSetting("Logging:LogLevel:Trainer", "Information");
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) web.UseSetting(key, value);
        });
        _ = factory.Server; // starts the host and its bus
        return new TrainerHost(factory, replica);
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<TrainingJobStatus> StatusAsync(Guid jobId) =>
        (await Http.GetFromJsonAsync<TrainingJobStatus>($"/api/v1/training-jobs/{jobId}", Json, TestContext.Current.CancellationToken))!;

    /// <summary>Polls GET until the job reaches one of <paramref name="states"/>; a job not recorded yet (404) is waited for too.</summary>
    public async Task<TrainingJobStatus> WaitForStateAsync(Guid jobId, TimeSpan timeout, params TrainingJobState[] states)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await Http.GetAsync($"/api/v1/training-jobs/{jobId}", TestContext.Current.CancellationToken);
            var status = response.StatusCode == System.Net.HttpStatusCode.NotFound
                ? null
                : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<TrainingJobStatus>(Json, TestContext.Current.CancellationToken);
            if (status is not null && states.Contains(status.State)) return status;
            Assert.True(DateTime.UtcNow < deadline, status is null
                ? $"Job {jobId} was never recorded."
                : $"Job {jobId} still {status.State} after {timeout.TotalSeconds} s (shards {status.ShardsDone}/{status.ShardsTotal}, error {status.Error}).");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Http.Dispose();
        await _factory.DisposeAsync();
    }
}

/// <summary>A separate bus that records what the trainers publish, as another service would see it.</summary>
internal sealed class TrainerEvents : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private TrainerEvents(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<ModelTrained> ModelTrained { get; } = new();
    public ConcurrentQueue<TrainingFailed> TrainingFailed { get; } = new();
    public ConcurrentQueue<VoxelShardTrained> ShardsTrained { get; } = new();
    public ConcurrentQueue<TrainVoxelShard> ShardCommands { get; } = new();

    public static async Task<TrainerEvents> StartAsync(RealInfrastructure infrastructure)
    {
        TrainerEvents? events = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(infrastructure.RabbitMqConnectionString));
            cfg.ReceiveEndpoint("trainer-tests-" + Guid.NewGuid().ToString("N"), e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<ModelTrained>(ctx => { events!.ModelTrained.Enqueue(ctx.Message); return Task.CompletedTask; });
                e.Handler<TrainingFailed>(ctx => { events!.TrainingFailed.Enqueue(ctx.Message); return Task.CompletedTask; });
                e.Handler<VoxelShardTrained>(ctx => { events!.ShardsTrained.Enqueue(ctx.Message); return Task.CompletedTask; });
                e.Handler<TrainVoxelShard>(ctx => { events!.ShardCommands.Enqueue(ctx.Message); return Task.CompletedTask; });
            });
        });
        events = new TrainerEvents(bus);
        await bus.StartAsync(TestContext.Current.CancellationToken);
        return events;
    }

    public IPublishEndpoint Publisher => _bus;

    public static async Task<T> WaitForAsync<T>(ConcurrentQueue<T> queue, Func<T, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = queue.FirstOrDefault(match);
            if (found is not null) return found;
            Assert.True(DateTime.UtcNow < deadline, $"No {what} within {timeout.TotalSeconds} s.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}

internal static class Storage
{
    public static BlobServiceClient Blobs(RealInfrastructure infrastructure) => new(infrastructure.BlobsConnectionString);

    public static BlobContainerClient Models(RealInfrastructure infrastructure) => Blobs(infrastructure).GetBlobContainerClient("models");

    public static async Task<List<string>> ListAsync(BlobContainerClient container, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, TestContext.Current.CancellationToken))
            names.Add(item.Name);
        return names;
    }
}
