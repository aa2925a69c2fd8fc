using Heads.Core.Contracts;
using MassTransit;
using Trainer.Service.Jobs;

namespace Trainer.Service.Consumers;

/// <summary>
/// Starts a job. FaceNet2 returns as soon as its shards are published; the other models train inside this consumer, so the
/// message stays unacknowledged until the model is committed and a replica that dies mid-training gets it redelivered.
/// </summary>
public sealed class StartTrainingConsumer(TrainingJobCoordinator coordinator) : IConsumer<StartTraining>
{
    public Task Consume(ConsumeContext<StartTraining> context) => coordinator.StartAsync(context.Message, context, context.CancellationToken);
}

public sealed class StartTrainingConsumerDefinition : ConsumerDefinition<StartTrainingConsumer>
{
    public StartTrainingConsumerDefinition()
    {
        // One job at a time per replica; the rest wait in the queue for a free replica.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<StartTrainingConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1;
    }
}
