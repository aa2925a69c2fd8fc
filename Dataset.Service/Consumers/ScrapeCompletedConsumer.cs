using Dataset.Service.Samples;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Consumers;

/// <summary>
/// The pipeline's dataset step: once every head of a completed scrape is processed (or rejected), build a FaceNet and
/// a HeadsNet dataset from the heads available. Dataset ids derive from the scrape id, so a redelivered event
/// rebuilds nothing (datasets are immutable and a repeated BuildDataset only re-announces them).
/// </summary>
public sealed class ScrapeCompletedConsumer(HeadSampleStore samples, IOptions<DatasetOptions> options, ILogger<ScrapeCompletedConsumer> logger)
    : IConsumer<ScrapeCompleted>
{
    public async Task Consume(ConsumeContext<ScrapeCompleted> context)
    {
        var pipeline = options.Value.Pipeline;
        if (!pipeline.BuildOnScrape) return;
        var scrape = context.Message;
        var pending = new HashSet<string>(scrape.HeadIds.Where(ResourceIds.IsValid), StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + pipeline.WaitForHeads;
        while (pending.Count > 0 && DateTime.UtcNow < deadline)
        {
            foreach (var id in pending.ToList())
                if (await samples.IsProcessedAsync(id, context.CancellationToken) || await samples.IsRejectedAsync(id, context.CancellationToken))
                    pending.Remove(id);
            if (pending.Count > 0) await Task.Delay(TimeSpan.FromSeconds(1), context.CancellationToken);
        }
        if (pending.Count > 0)
            logger.LogWarning("Scrape {ScrapeId}: {Pending} heads still unprocessed after {Wait}; building with the heads available", scrape.ScrapeId, pending.Count, pipeline.WaitForHeads);

        var suffix = scrape.ScrapeId.ToString("N")[..12];
        await context.Publish(new BuildDataset { DatasetId = $"facenet-{suffix}", Kind = DatasetKind.FaceNet, HeldOutFraction = pipeline.HeldOutFraction }, context.CancellationToken);
        await context.Publish(new BuildDataset { DatasetId = $"headsnet-{suffix}", Kind = DatasetKind.HeadsNet, Limit = pipeline.HeadsNetHeads, HeldOutFraction = pipeline.HeldOutFraction }, context.CancellationToken);
        logger.LogInformation("Scrape {ScrapeId}: {Heads} heads ready; building datasets facenet-{Suffix} and headsnet-{Suffix}", scrape.ScrapeId, scrape.HeadIds.Count, suffix, suffix);
    }
}

public sealed class ScrapeCompletedConsumerDefinition : ConsumerDefinition<ScrapeCompletedConsumer>
{
    public ScrapeCompletedConsumerDefinition()
    {
        ConcurrentMessageLimit = 2;
    }
}
