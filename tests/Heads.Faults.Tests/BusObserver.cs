using System.Collections.Concurrent;
using Heads.Core.Contracts;
using MassTransit;

namespace Heads.Faults.Tests;

/// <summary>
/// Another service on the bus: publishes commands and records the events the services publish. Its queue is durable,
/// so events published while the broker restarts are still delivered to it afterwards.
/// </summary>
internal sealed class BusObserver : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private BusObserver(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<ModelTrained> ModelTrained { get; } = new();
    public ConcurrentQueue<TrainingFailed> TrainingFailed { get; } = new();
    public ConcurrentQueue<VoxelShardTrained> ShardsTrained { get; } = new();
    public ConcurrentQueue<DatasetBuilt> DatasetsBuilt { get; } = new();
    public ConcurrentQueue<Fault<BuildDataset>> BuildFaults { get; } = new();

    public IPublishEndpoint Publisher => _bus;

    public static async Task<BusObserver> StartAsync(RealInfrastructure infrastructure)
    {
        BusObserver? observer = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(infrastructure.RabbitMqConnectionString));
            cfg.ReceiveEndpoint("faults-observer-" + Guid.NewGuid().ToString("N"), e =>
            {
                e.Handler<ModelTrained>(ctx => Record(observer!.ModelTrained, ctx.Message));
                e.Handler<TrainingFailed>(ctx => Record(observer!.TrainingFailed, ctx.Message));
                e.Handler<VoxelShardTrained>(ctx => Record(observer!.ShardsTrained, ctx.Message));
                e.Handler<DatasetBuilt>(ctx => Record(observer!.DatasetsBuilt, ctx.Message));
                e.Handler<Fault<BuildDataset>>(ctx => Record(observer!.BuildFaults, ctx.Message));
            });
        });
        observer = new BusObserver(bus);
        await bus.StartAsync(TestContext.Current.CancellationToken);
        return observer;
    }

    private static Task Record<T>(ConcurrentQueue<T> queue, T message)
    {
        queue.Enqueue(message);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}

internal static class Polling
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms; fails the test with <paramref name="what"/> (and its details) on timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? details = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.\n{details?.Invoke()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A condition that may fail while storage or the broker is down counts as not yet true.</summary>
    public static async Task<bool> Safely(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException or TaskCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
