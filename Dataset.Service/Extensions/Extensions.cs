namespace Dataset.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "dataset";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        builder.AddHeadsBlobStorage();
        builder.AddHeadsMessaging(ServiceName);
    }
}
