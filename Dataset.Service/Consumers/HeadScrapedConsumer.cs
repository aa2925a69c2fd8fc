using Dataset.Service.Samples;
using Heads.Core.Contracts;
using MassTransit;

namespace Dataset.Service.Consumers;

/// <summary>Turns each scraped head into samples; a corrupt head faults its own message only (see <see cref="HeadSampleProcessor"/>).</summary>
public sealed class HeadScrapedConsumer(HeadSampleProcessor processor) : IConsumer<HeadScraped>
{
    public Task Consume(ConsumeContext<HeadScraped> context) => processor.ProcessAsync(context.Message, context.CancellationToken);
}

public sealed class HeadScrapedConsumerDefinition : ConsumerDefinition<HeadScrapedConsumer>
{
    public HeadScrapedConsumerDefinition()
    {
        // Sampling is CPU work between two storage round trips: one head per core keeps the cores busy.
        ConcurrentMessageLimit = Math.Max(2, Environment.ProcessorCount);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<HeadScrapedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 2 * Math.Max(2, Environment.ProcessorCount);
    }
}
