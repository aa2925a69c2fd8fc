using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Heads.Robustness.Tests;

/// <summary>A command that names a head by id, for the retry-policy tests.</summary>
public sealed record LookUpHead
{
    public required string HeadId { get; init; }
    /// <summary>Fail like a storage blip (retried) instead of like an unknown id (not retried).</summary>
    public required bool Transient { get; init; }
}

/// <summary>Fails every delivery: transiently, or because the head it names does not exist.</summary>
public sealed class LookUpHeadConsumer : IConsumer<LookUpHead>
{
    public static ConcurrentDictionary<string, int> Attempts { get; } = new();

    public Task Consume(ConsumeContext<LookUpHead> context)
    {
        var head = context.Message.HeadId;
        Attempts.AddOrUpdate(head, 1, (_, n) => n + 1);
        if (context.Message.Transient) throw new TimeoutException($"Storage did not answer for head '{head}'.");
        throw new KeyNotFoundException($"Head '{head}' does not exist.");
    }
}

/// <summary>
/// The bus policy every service gets from Heads.ServiceDefaults, against a real RabbitMQ: a message that keeps failing is
/// retried a bounded number of times and then parked in the error queue with its reason; a message about an unknown id
/// is not retried at all. And the broker is reachable on loopback only.
/// </summary>
public sealed class BrokerPolicyTests(RealInfrastructure infrastructure) : IClassFixture<RealInfrastructure>
{
    private const string ErrorQueueName = "robustness-look-up-head_error";

    [Fact]
    public async Task Failing_messages_are_retried_a_bounded_number_of_times_then_parked_with_their_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:rabbitmq"] = infrastructure.RabbitMqConnectionString;
        builder.AddHeadsMessaging("robustness", bus => bus.AddConsumer<LookUpHeadConsumer>());
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
            var transient = new LookUpHead { HeadId = "blip-" + Guid.NewGuid().ToString("N")[..8], Transient = true };
            var unknown = new LookUpHead { HeadId = "gone-" + Guid.NewGuid().ToString("N")[..8], Transient = false };
            await bus.Publish(transient, ct);
            await bus.Publish(unknown, ct);

            var parked = await ErrorQueue.WaitForAsync(infrastructure.RabbitMqConnectionString, ErrorQueueName,
                seen => seen.Any(m => m.Body.Contains(transient.HeadId, StringComparison.Ordinal)) && seen.Any(m => m.Body.Contains(unknown.HeadId, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), ct);
            var blip = Assert.Single(parked, m => m.Body.Contains(transient.HeadId, StringComparison.Ordinal));
            Assert.Contains($"Storage did not answer for head '{transient.HeadId}'", blip.Reason);
            Assert.Equal(typeof(TimeoutException).FullName, blip.ExceptionType);
            var gone = Assert.Single(parked, m => m.Body.Contains(unknown.HeadId, StringComparison.Ordinal));
            Assert.Contains($"Head '{unknown.HeadId}' does not exist", gone.Reason);

            // Bounded: one delivery plus five retries for the blip, a single delivery for the unknown id; and then no more.
            await Task.Delay(1500, ct);
            Assert.Equal(6, LookUpHeadConsumer.Attempts[transient.HeadId]);
            Assert.Equal(1, LookUpHeadConsumer.Attempts[unknown.HeadId]);
            Assert.Empty(await ErrorQueue.DrainAsync(infrastructure.RabbitMqConnectionString, ErrorQueueName, ct));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_broker_and_storage_answer_on_loopback_and_on_no_other_address_of_this_machine()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(await ConnectsAsync(IPAddress.Loopback, infrastructure.AmqpPort, ct));
        var others = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => !IPAddress.IsLoopback(a) && a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
            .ToList();
        Assert.SkipWhen(others.Count == 0, "This machine has no address but loopback.");
        foreach (var address in others)
        {
            // Not reachable at all, so guest (loopback-only in RabbitMQ anyway) cannot be tried from outside.
            Assert.False(await ConnectsAsync(address, infrastructure.AmqpPort, ct), $"AMQP answers on {address}");
            Assert.False(await ConnectsAsync(address, infrastructure.BlobPort, ct), $"Azurite answers on {address}");
        }
    }

    private static async Task<bool> ConnectsAsync(IPAddress address, int port, CancellationToken ct)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
