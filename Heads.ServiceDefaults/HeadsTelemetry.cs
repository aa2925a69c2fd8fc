using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>The project's own ActivitySource and Meter; every service's spans and metrics hang off these names.</summary>
public static class HeadsTelemetry
{
    public const string ActivitySourceName = "Heads";
    public const string MeterName = "Heads";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);
}
