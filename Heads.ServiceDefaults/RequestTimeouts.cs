using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every endpoint of every service has a request timeout (<c>Heads:RequestTimeouts:Default</c>, 30 s): a request that
/// outlives it (a stalled upload, a queue of heavy predictions) is cancelled and answered 504 with problem details, so
/// slow clients cannot hold a service's threads and memory. Endpoints that legitimately run long (streaming a dataset
/// file, reloading every model) opt into <see cref="Long"/> (<c>Heads:RequestTimeouts:Long</c>, 10 min).
/// </summary>
public static class HeadsRequestTimeouts
{
    public const string Section = "Heads:RequestTimeouts";
    public const string Long = "long";

    public static TBuilder AddHeadsRequestTimeouts<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var section = builder.Configuration.GetSection(Section);
        var standard = section.GetValue("Default", TimeSpan.FromSeconds(30));
        var longer = section.GetValue(nameof(Long), TimeSpan.FromMinutes(10));
        builder.Services.AddRequestTimeouts(options =>
        {
            options.DefaultPolicy = Policy(standard);
            options.AddPolicy(Long, Policy(longer));
        });
        return builder;
    }

    private static RequestTimeoutPolicy Policy(TimeSpan timeout) => new()
    {
        Timeout = timeout,
        TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
        WriteTimeoutResponse = context => Results.Problem(statusCode: StatusCodes.Status504GatewayTimeout, title: "Request timed out",
            detail: $"The request did not complete within {timeout.TotalSeconds:0.###} s ({Section}); it was cancelled.").ExecuteAsync(context),
    };
}
