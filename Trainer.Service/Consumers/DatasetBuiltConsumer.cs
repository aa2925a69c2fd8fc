using Heads.Core.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using Trainer.Service.Jobs;

namespace Trainer.Service.Consumers;

/// <summary>The pipeline's training step: a new dataset starts the configured models that fit its kind.</summary>
public sealed class DatasetBuiltConsumer(PipelineTraining pipeline, IOptions<TrainerOptions> options) : IConsumer<DatasetBuilt>
{
    public async Task Consume(ConsumeContext<DatasetBuilt> context)
    {
        var settings = options.Value.Pipeline;
        if (!settings.TrainOnDataset) return;
        foreach (var model in settings.ModelList().Where(m => PipelineTraining.Fits(m, context.Message.Kind)))
            await pipeline.StartAsync(context.Message.DatasetId, model, context, context.CancellationToken);
    }
}

public sealed class DatasetBuiltConsumerDefinition : ConsumerDefinition<DatasetBuiltConsumer>
{
    public DatasetBuiltConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
    }
}
