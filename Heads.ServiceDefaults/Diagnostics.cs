using System.Collections.Concurrent;
using Heads.Core.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>Which pings this process has seen; backs GET /api/v1/diagnostics/pings/{id}.</summary>
public sealed class PingLedger
{
    private const int Capacity = 1000;
    private readonly ConcurrentDictionary<Guid, PingReceipt> _receipts = new();
    private readonly ConcurrentQueue<Guid> _order = new();

    public void Record(PingReceipt receipt)
    {
        if (_receipts.TryAdd(receipt.PingId, receipt))
        {
            _order.Enqueue(receipt.PingId);
            while (_order.Count > Capacity && _order.TryDequeue(out var old)) _receipts.TryRemove(old, out _);
        }
    }

    public PingReceipt? Find(Guid id) => _receipts.TryGetValue(id, out var r) ? r : null;
}

public sealed record PingReceipt(Guid PingId, string Origin, string Service, string? TraceId, DateTimeOffset ReceivedAt);

public sealed class PipelinePingedConsumer(PingLedger ledger, IHostEnvironment environment, ILogger<PipelinePingedConsumer> logger)
    : IConsumer<PipelinePinged>
{
    public Task Consume(ConsumeContext<PipelinePinged> context)
    {
        var receipt = new PingReceipt(context.Message.PingId, context.Message.Origin, environment.ApplicationName,
            System.Diagnostics.Activity.Current?.TraceId.ToString(), DateTimeOffset.UtcNow);
        ledger.Record(receipt);
        logger.LogInformation("Ping {PingId} from {Origin} received by {Service}", receipt.PingId, receipt.Origin, receipt.Service);
        return Task.CompletedTask;
    }
}

public static class DiagnosticsApi
{
    /// <summary>POST publishes a ping every service consumes; GET tells whether this service saw it.</summary>
    public static IEndpointRouteBuilder MapDiagnosticsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/diagnostics").WithTags("Diagnostics");
        group.MapPost("/pings", async (IPublishEndpoint bus, IHostEnvironment environment, CancellationToken ct) =>
        {
            var ping = new PipelinePinged { PingId = Guid.NewGuid(), Origin = environment.ApplicationName, SentAt = DateTimeOffset.UtcNow };
            await bus.Publish(ping, ct);
            return Results.Accepted($"/api/v1/diagnostics/pings/{ping.PingId}", new { ping.PingId, TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString() });
        })
            .WithName("SendPing")
            .WithSummary("Publishes a ping that every service consumes (a check of the bus end to end)");
        group.MapGet("/pings/{id:guid}", (Guid id, PingLedger ledger) =>
            ledger.Find(id) is { } receipt ? Results.Ok(receipt) : Results.NotFound())
            .WithName("GetPing")
            .WithSummary("Whether this service received ping id, and when")
            .ProducesProblem(404);
        return app;
    }
}
