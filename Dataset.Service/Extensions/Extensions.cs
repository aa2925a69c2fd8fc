using System.Text.Json.Serialization;
using Dataset.Service.Building;
using Dataset.Service.Consumers;
using Dataset.Service.Importing;
using Dataset.Service.Samples;
using Dataset.Service.Storage;
using Dataset.Service.Telemetry;
using Heads.Core.Datasets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "dataset";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        builder.AddHeadsBlobStorage();
        builder.AddHeadsMessaging(ServiceName, bus =>
        {
            bus.AddConsumer<HeadScrapedConsumer>(typeof(HeadScrapedConsumerDefinition));
            bus.AddConsumer<BuildDatasetConsumer>(typeof(BuildDatasetConsumerDefinition));
            bus.AddConsumer<ImportFaceNetDatasetConsumer>(typeof(ImportFaceNetDatasetConsumerDefinition));
            bus.AddConsumer<ScrapeCompletedConsumer>(typeof(ScrapeCompletedConsumerDefinition));
        });

        builder.Services.Configure<DatasetOptions>(builder.Configuration.GetSection(DatasetOptions.SectionName));
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue($"{DatasetOptions.SectionName}:{nameof(DatasetOptions.MaxRequestBodyBytes)}", new DatasetOptions().MaxRequestBodyBytes));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new HeadSampler());
        builder.Services.AddSingleton<HeadSampleStore>();
        builder.Services.AddSingleton<HeadSampleProcessor>();
        builder.Services.AddSingleton<ProcessingRateLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProcessingRateLog>());

        builder.Services.AddSingleton<DatasetStore>();
        builder.Services.AddSingleton<DatasetBuildRegistry>();
        builder.Services.AddSingleton<DatasetBuildRunner>();
        builder.Services.AddSingleton<DatasetBuilder>();
        builder.Services.AddSingleton<DatasetCatalog>();
        builder.Services.AddSingleton<FaceNetImporter>();
    }

    /// <summary>
    /// Refuses request bodies over Dataset:MaxRequestBodyBytes with a 413 ProblemDetails before they are read (Kestrel
    /// enforces the same limit on bodies without a Content-Length).
    /// </summary>
    public static WebApplication UseRequestBodyLimit(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            long max = context.RequestServices.GetRequiredService<IOptions<DatasetOptions>>().Value.MaxRequestBodyBytes;
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;
            if (context.Request.ContentLength > max)
            {
                await Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                    detail: $"The body has {context.Request.ContentLength} bytes; this service accepts at most {max}.").ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        return app;
    }
}
