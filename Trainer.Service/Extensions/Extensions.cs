namespace Trainer.Service.Extensions;

public static class Extensions
{
    public const string ServiceName = "trainer";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        builder.AddHeadsBlobStorage();
        builder.AddHeadsMessaging(ServiceName);
    }
}
