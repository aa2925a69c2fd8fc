using Heads.Core.Contracts;
using MassTransit;
using Trainer.Service.Jobs;

namespace Trainer.Service.Consumers;

/// <summary>Trains one FaceNet2 shard; every replica reads the same queue, so shards spread over however many replicas run.</summary>
public sealed class TrainVoxelShardConsumer(VoxelShardTraining training) : IConsumer<TrainVoxelShard>
{
    public Task Consume(ConsumeContext<TrainVoxelShard> context) => training.RunAsync(context.Message, context, context.CancellationToken);
}

public sealed class TrainVoxelShardConsumerDefinition : ConsumerDefinition<TrainVoxelShardConsumer>
{
    public TrainVoxelShardConsumerDefinition()
    {
        // A shard uses the replica's cores fully; a second one would only slow both.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrainVoxelShardConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Prefetch 1: a replica holds only the shard it trains, so idle replicas get the rest instead of a busy one hoarding them.
        endpointConfigurator.PrefetchCount = 1;
    }
}
