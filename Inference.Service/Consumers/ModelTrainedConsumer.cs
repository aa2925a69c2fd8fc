using Heads.Core.Contracts;
using Inference.Service.Serving;
using MassTransit;

namespace Inference.Service.Consumers;

/// <summary>
/// Reloads when a job commits a model. Every inference replica has its own temporary queue for this event (see
/// Extensions), so each one loads the model instead of one replica taking the message from the others.
/// </summary>
public sealed class ModelTrainedConsumer(ModelLoader loader, ILogger<ModelTrainedConsumer> logger) : IConsumer<ModelTrained>
{
    public async Task Consume(ConsumeContext<ModelTrained> context)
    {
        var message = context.Message;
        logger.LogInformation("ModelTrained: {Model} job {JobId} on dataset {DatasetId} at {Manifest}; reloading",
            message.Model, message.JobId, message.DatasetId, message.ManifestBlob);
        var snapshot = await loader.ReloadAsync($"ModelTrained {message.JobId}", context.CancellationToken);
        if (snapshot.Find(message.JobId) is null)
        {
            var skipped = snapshot.Skipped.FirstOrDefault(s => s.JobId == message.JobId);
            logger.LogWarning("Job {JobId} is not served after the reload: {Reason}", message.JobId,
                skipped?.Reason ?? "its manifest was not found under the models prefix this service scans");
        }
    }
}

public sealed class ModelTrainedConsumerDefinition : ConsumerDefinition<ModelTrainedConsumer>
{
    public ModelTrainedConsumerDefinition()
    {
        // Reloads are serialised by the loader anyway; one at a time keeps the queue order.
        ConcurrentMessageLimit = 1;
    }
}
