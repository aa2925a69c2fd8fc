using Heads.Core.Contracts;
using MassTransit;
using Scraper.Service.Scraping;

namespace Scraper.Service.Consumers;

/// <summary>Runs a scrape to the end; the message is acknowledged only then, so a crash mid-scrape is redelivered and resumes (stored heads are skipped).</summary>
public sealed class ScrapeHeadsConsumer(ScrapeRunner runner, IHostApplicationLifetime lifetime) : IConsumer<ScrapeHeads>
{
    public Task Consume(ConsumeContext<ScrapeHeads> context) =>
        runner.RunAsync(context.Message, context, CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping).Token);
}

public sealed class ScrapeHeadsConsumerDefinition : ConsumerDefinition<ScrapeHeadsConsumer>
{
    public ScrapeHeadsConsumerDefinition()
    {
        // One scrape at a time: the generator and renderer use the cores fully.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ScrapeHeadsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1;
    }
}
