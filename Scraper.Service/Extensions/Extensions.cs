using Scraper.Service.Apis;
using Scraper.Service.Consumers;
using Scraper.Service.Scraping;
using Scraper.Service.Sources;

namespace Scraper.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "scraper";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(openApi => openApi.AddPropertyRange<ScrapeRequest>("count",
            services => (1, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ScraperOptions>>().Value.MaxCountPerRequest)));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.AddHeadsBlobStorage();
        builder.AddHeadsMessaging(ServiceName, bus => bus.AddConsumer<ScrapeHeadsConsumer>(typeof(ScrapeHeadsConsumerDefinition)));

        builder.Services.Configure<ScraperOptions>(builder.Configuration.GetSection("Scraper"));
        builder.Services.Configure<SyntheticSourceOptions>(builder.Configuration.GetSection("Scraper:Synthetic"));
        builder.Services.Configure<FolderSourceOptions>(builder.Configuration.GetSection("Scraper:Folder"));
        builder.Services.Configure<HttpSourceOptions>(builder.Configuration.GetSection("Scraper:Http"));

        builder.Services.AddSingleton<IHeadSource, SyntheticHeadSource>();
        builder.Services.AddSingleton<IHeadSource, HttpHeadSource>();
        builder.Services.AddSingleton<IHeadSource, FolderHeadSource>();
        builder.Services.AddHttpClient(HttpHeadSource.ClientName, (sp, http) =>
        {
            var timeout = builder.Configuration.GetValue("Scraper:Http:TimeoutSeconds", 120);
            http.Timeout = TimeSpan.FromSeconds(timeout * 4);
        }).AddStandardResilienceHandler(o =>
        {
            var timeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Scraper:Http:TimeoutSeconds", 120));
            o.AttemptTimeout.Timeout = timeout;
            o.CircuitBreaker.SamplingDuration = timeout * 2;
            o.TotalRequestTimeout.Timeout = timeout * 3;
            o.Retry.MaxRetryAttempts = 2;
        });

        builder.Services.AddSingleton<ScrapeRegistry>();
        builder.Services.AddSingleton<HeadArchive>();
        builder.Services.AddSingleton<ScrapeRunner>();
        builder.Services.AddHostedService<ScrapeOnStart>();
    }
}
