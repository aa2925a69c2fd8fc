using Microsoft.AspNetCore.Builder;
using Scalar.AspNetCore;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Each service's OpenAPI document (<c>/openapi/v1.json</c>) and an interactive explorer of it (Scalar, the Aspire and
/// eShop convention, at <c>/scalar</c>), served by the service itself on its loopback address with its script bundled
/// (no CDN), in every environment.
/// </summary>
public static class ApiExplorer
{
    public static WebApplication MapApiExplorer(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle($"Heads {app.Environment.ApplicationName}"));
        return app;
    }
}
