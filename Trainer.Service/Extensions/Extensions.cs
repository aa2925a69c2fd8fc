using System.Text.Json.Serialization;
using MassTransit;
using Trainer.Service.Consumers;
using Trainer.Service.Jobs;

namespace Trainer.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "trainer";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.AddHeadsBlobStorage();
        var section = builder.Configuration.GetSection(TrainerOptions.Section);
        // A worker on another machine only trains shards: the pipeline's events, job starts and fault bookkeeping stay
        // with the first machine's replicas, which run that machine's settings.
        bool worker = section.GetValue<bool>(nameof(TrainerOptions.Worker));
        builder.AddHeadsMessaging(ServiceName, bus =>
        {
            bus.AddConsumer<TrainVoxelShardConsumer>(typeof(TrainVoxelShardConsumerDefinition));
            if (worker) return;
            bus.AddConsumer<StartTrainingConsumer>(typeof(StartTrainingConsumerDefinition));
            bus.AddConsumer<TrainVoxelShardFaultConsumer>();
            bus.AddConsumer<StartTrainingFaultConsumer>();
            bus.AddConsumer<DatasetBuiltConsumer>(typeof(DatasetBuiltConsumerDefinition));
        });

        builder.Services.Configure<TrainerOptions>(section);
        // A shard or a whole-model job can run for hours: on shutdown, give it a moment, then cancel it so its message
        // returns to the queue (unacknowledged) for another replica instead of holding the host open.
        var stopTimeout = section.GetValue(nameof(TrainerOptions.ConsumerStopTimeout), TimeSpan.FromSeconds(1));
        builder.Services.Configure<MassTransitHostOptions>(o => o.ConsumerStopTimeout = stopTimeout);

        builder.Services.AddSingleton<TrainingJobStore>();
        builder.Services.AddSingleton<TrainedModelStore>();
        builder.Services.AddSingleton<TrainingDatasets>();
        builder.Services.AddSingleton<TrainingJobOutcomes>();
        builder.Services.AddSingleton<TrainingJobStatusReader>();
        builder.Services.AddSingleton<FaceNet2Assembly>();
        builder.Services.AddSingleton<PromotionGate>();
        builder.Services.AddSingleton<TrainedModelPictures>();
        builder.Services.AddSingleton<VoxelShardTraining>();
        builder.Services.AddSingleton<WholeModelTraining>();
        builder.Services.AddSingleton<TrainingJobCoordinator>();
        builder.Services.AddSingleton<PipelineTraining>();
        builder.Services.AddHostedService<TorchThreadsSetup>();
        builder.Services.AddHostedService<Cluster.CompatibilityPublisher>();
    }
}
