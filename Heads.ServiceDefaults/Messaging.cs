using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>MassTransit over RabbitMQ, wired once for every service.</summary>
public static class Messaging
{
    public const string ConnectionName = "rabbitmq";

    /// <summary>Machine, process and a per-start suffix: names a temporary queue that no other host, in this process or another, shares.</summary>
    public static string NewInstanceId() => $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant();

    /// <summary>
    /// Registers the bus. Queues are kebab-case and prefixed with <paramref name="serviceName"/>, so an event that
    /// several services consume (HeadScraped, ModelTrained) reaches each service once, while replicas of one service
    /// compete on their shared queue (FaceNet2 shards).
    /// </summary>
    public static IHostApplicationBuilder AddHeadsMessaging(this IHostApplicationBuilder builder, string serviceName,
        Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException(
                $"Connection string '{ConnectionName}' is missing: run the service from the AppHost or set ConnectionStrings__{ConnectionName}.");

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, includeNamespace: false));
            // Every process, replicas included, gets its own auto-deleted ping queue: a ping proves each one is wired.
            bus.AddConsumer<PipelinePingedConsumer>().Endpoint(e =>
            {
                e.Temporary = true;
                // A per-start suffix: two hosts in one process (tests) must not share an exclusive queue.
                e.InstanceId = Messaging.NewInstanceId();
            });
            configureConsumers?.Invoke(bus);

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString), host =>
                {
                    host.ConnectionName(serviceName);
                });
                // Bounded redelivery: a transient fault (storage blip, broker restart) is retried; bad input and missing
                // configuration are not (retrying cannot fix them, and would hold the queue), and go straight to the
                // _error queue with their reason in the fault headers.
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
                    retry.Ignore<InvalidDataException>();
                    retry.Ignore<FormatException>();
                    retry.Ignore<ArgumentException>();
                    retry.Ignore<KeyNotFoundException>();
                    retry.Ignore<Microsoft.Extensions.Options.OptionsValidationException>();
                    retry.Ignore<Heads.Core.Contracts.IncompatibleMessageException>();
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddSingleton<PingLedger>();
        return builder;
    }
}
