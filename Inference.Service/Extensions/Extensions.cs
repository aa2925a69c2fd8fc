using Inference.Service.Consumers;
using Inference.Service.Samples;
using Inference.Service.Serving;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Inference.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "inference";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.AddHeadsBlobStorage();
        // A fresh id per start: the queue is temporary, and two hosts in one process must not share it.
        var instance = Messaging.NewInstanceId();
        builder.AddHeadsMessaging(ServiceName, bus =>
            bus.AddConsumer<ModelTrainedConsumer>(typeof(ModelTrainedConsumerDefinition)).Endpoint(e =>
            {
                e.Temporary = true;
                e.InstanceId = instance;
            }));

        var section = builder.Configuration.GetSection(InferenceOptions.Section);
        builder.Services.Configure<InferenceOptions>(section);
        var threads = section.GetValue<int>(nameof(InferenceOptions.TorchThreads));
        set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);

        builder.Services.AddSingleton<ModelRegistry>();
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelLoader>());
        builder.Services.AddSingleton<HeadsNetGate>();
        builder.Services.AddSingleton<SampleFaces>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SampleFaces>());
        builder.Services.AddHealthChecks().AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);
    }
}
