using Dataset.Service.Building;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using MassTransit;

namespace Dataset.Service.Consumers;

/// <summary>
/// Builds a dataset from the processed heads and announces it. A command for an id that is already committed writes
/// nothing and announces the existing dataset again; one that cannot succeed faults with the reason.
/// </summary>
public sealed class BuildDatasetConsumer(DatasetBuilder builder, DatasetBuildRegistry registry, IHostApplicationLifetime lifetime) : IConsumer<BuildDataset>
{
    public async Task Consume(ConsumeContext<BuildDataset> context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        BuildOutcome outcome;
        try
        {
            outcome = await builder.BuildAsync(context.Message, cts.Token);
        }
        catch (ArgumentException e)
        {
            if (DatasetBlobLayout.IsValidDatasetId(context.Message.DatasetId)) registry.Failed(context.Message.DatasetId, context.Message.Kind, e.Message);
            throw;
        }
        if (outcome.Manifest is { } manifest) await context.Publish(DatasetAnnouncement.Of(manifest), cts.Token);
    }
}

public sealed class BuildDatasetConsumerDefinition : ConsumerDefinition<BuildDatasetConsumer>
{
    public BuildDatasetConsumerDefinition()
    {
        // One build at a time: each streams its files with bounded memory, and concurrent builds would only share the bandwidth.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<BuildDatasetConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1;
    }
}

/// <summary>The DatasetBuilt event for a committed manifest.</summary>
public static class DatasetAnnouncement
{
    public static DatasetBuilt Of(DatasetManifest manifest) => new()
    {
        DatasetId = manifest.DatasetId,
        Kind = manifest.Kind,
        HeadCount = manifest.HeadIds.Count,
        TrainRows = manifest.TrainRows,
        HeldOutRows = manifest.HeldOutRows,
        ManifestBlob = $"{HeadsBlobContainers.DatasetsName}/{DatasetBlobLayout.ManifestBlob(manifest.DatasetId)}",
    };
}
