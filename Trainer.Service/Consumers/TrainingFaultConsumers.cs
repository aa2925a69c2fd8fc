using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using MassTransit;
using Trainer.Service.Jobs;

namespace Trainer.Service.Consumers;

/// <summary>A shard that still failed after the bounded retries (or failed with bad input) fails its job, naming the voxels.</summary>
public sealed class TrainVoxelShardFaultConsumer(TrainingJobOutcomes outcomes) : IConsumer<Fault<TrainVoxelShard>>
{
    public Task Consume(ConsumeContext<Fault<TrainVoxelShard>> context)
    {
        var shard = context.Message.Message;
        var range = new VoxelShardRange(shard.FirstVoxel, shard.VoxelCount);
        var reason = context.Message.Exceptions.FirstOrDefault()?.Message ?? "unknown error";
        return outcomes.FailAsync(shard.JobId, $"FaceNet2 shard {range} failed: {reason}", context, context.CancellationToken);
    }
}

/// <summary>A StartTraining that still failed after the retries fails its job (bad input has failed it already; this is then a no-op).</summary>
public sealed class StartTrainingFaultConsumer(TrainingJobOutcomes outcomes) : IConsumer<Fault<StartTraining>>
{
    public Task Consume(ConsumeContext<Fault<StartTraining>> context)
    {
        var command = context.Message.Message;
        if (command.JobId == Guid.Empty) return Task.CompletedTask;
        var reason = context.Message.Exceptions.FirstOrDefault()?.Message ?? "unknown error";
        return outcomes.FailAsync(command.JobId, reason, context, context.CancellationToken, command);
    }
}
