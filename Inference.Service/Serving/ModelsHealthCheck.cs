using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Service.Serving;

/// <summary>Healthy once storage has been scanned (with or without models: having none yet is not a fault); degraded before.</summary>
public sealed class ModelsHealthCheck(ModelRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = registry.Current;
        return Task.FromResult(snapshot.ScannedAt is null
            ? HealthCheckResult.Degraded("Models are still loading from storage.")
            : HealthCheckResult.Healthy($"{snapshot.Models.Count} models served, {snapshot.Skipped.Count} skipped."));
    }
}
