using Dataset.Service.Building;
using Dataset.Service.Importing;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using MassTransit;

namespace Dataset.Service.Consumers;

/// <summary>Imports original FaceTo3D files as a FaceNet dataset and announces it like any other build.</summary>
public sealed class ImportFaceNetDatasetConsumer(FaceNetImporter importer, DatasetBuildRegistry registry, IHostApplicationLifetime lifetime)
    : IConsumer<ImportFaceNetDataset>
{
    public async Task Consume(ConsumeContext<ImportFaceNetDataset> context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        BuildOutcome outcome;
        try
        {
            outcome = await importer.ImportAsync(context.Message, cts.Token);
        }
        catch (ArgumentException e)
        {
            if (DatasetBlobLayout.IsValidDatasetId(context.Message.DatasetId)) registry.Failed(context.Message.DatasetId, DatasetKind.FaceNet, e.Message);
            throw;
        }
        if (outcome.Manifest is { } manifest) await context.Publish(DatasetAnnouncement.Of(manifest), cts.Token);
    }
}

public sealed class ImportFaceNetDatasetConsumerDefinition : ConsumerDefinition<ImportFaceNetDatasetConsumer>
{
    public ImportFaceNetDatasetConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ImportFaceNetDatasetConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1;
    }
}
