using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>The blob containers Heads keeps its artifacts in; blob storage is the source of truth.</summary>
public sealed class HeadsBlobContainers(BlobServiceClient service)
{
    public const string FacesName = "faces";
    public const string MeshesName = "meshes";
    public const string DatasetsName = "datasets";
    public const string ModelsName = "models";
    public static readonly IReadOnlyList<string> All = [FacesName, MeshesName, DatasetsName, ModelsName, Heads.Core.Contracts.HeadsCompatibility.ContainerName];

    public BlobServiceClient Service { get; } = service;
    public BlobContainerClient Faces { get; } = service.GetBlobContainerClient(FacesName);
    public BlobContainerClient Meshes { get; } = service.GetBlobContainerClient(MeshesName);
    public BlobContainerClient Datasets { get; } = service.GetBlobContainerClient(DatasetsName);
    public BlobContainerClient Models { get; } = service.GetBlobContainerClient(ModelsName);
    /// <summary>What machines sharing this storage must agree on (<see cref="Heads.Core.Contracts.HeadsCompatibility"/>).</summary>
    public BlobContainerClient Cluster { get; } = service.GetBlobContainerClient(Heads.Core.Contracts.HeadsCompatibility.ContainerName);
}

public static class Storage
{
    public const string ConnectionName = "blobs";

    public static IHostApplicationBuilder AddHeadsBlobStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException(
                $"Connection string '{ConnectionName}' is missing: run the service from the AppHost or set ConnectionStrings__{ConnectionName}.");

        builder.Services.AddSingleton(_ => new BlobServiceClient(connectionString, new BlobClientOptions
        {
            Retry = { MaxRetries = 5, Delay = TimeSpan.FromMilliseconds(200), NetworkTimeout = TimeSpan.FromSeconds(100) },
        }));
        builder.Services.AddSingleton<HeadsBlobContainers>();
        builder.Services.AddHostedService<BlobContainerInitializer>();
        builder.Services.AddHealthChecks().AddCheck<BlobStorageHealthCheck>("blobs", tags: ["ready"]);
        return builder;
    }
}

/// <summary>Creates the containers at start, retrying while storage comes up.</summary>
internal sealed class BlobContainerInitializer(HeadsBlobContainers containers, ILogger<BlobContainerInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var name in HeadsBlobContainers.All)
                    await containers.Service.GetBlobContainerClient(name).CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
                logger.LogInformation("Blob containers ready: {Containers}", string.Join(", ", HeadsBlobContainers.All));
                return;
            }
            catch (Exception ex) when (attempt < 30 && ex is not OperationCanceledException)
            {
                logger.LogWarning("Blob storage not ready (attempt {Attempt}): {Reason}", attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class BlobStorageHealthCheck(HeadsBlobContainers containers) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var exists = await containers.Models.ExistsAsync(cancellationToken);
            return exists.Value ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("Container 'models' does not exist yet.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("Blob storage unreachable: " + ex.Message);
        }
    }
}
