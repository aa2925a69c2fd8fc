using Heads.Core.Contracts;
using Microsoft.Extensions.Options;
using Trainer.Service.Jobs;

namespace Trainer.Service.Cluster;

/// <summary>
/// A trainer of the first machine (not a worker) stores this build's <see cref="HeadsCompatibility"/> at start, so
/// workers that join can check theirs against it.
/// </summary>
public sealed class CompatibilityPublisher(HeadsBlobContainers containers, IOptions<TrainerOptions> options, ILogger<CompatibilityPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Worker) return;
        for (int attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await containers.Cluster.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                await containers.Cluster.GetBlobClient(HeadsCompatibility.BlobName)
                    .UploadAsync(BinaryData.FromBytes(HeadsCompatibility.Current.ToJson()), overwrite: true, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (attempt == 30)
                {
                    logger.LogWarning(e, "The compatibility document could not be stored; workers on other machines cannot join until it is");
                    return;
                }
                logger.LogDebug(e, "Compatibility document not stored yet (attempt {Attempt})", attempt);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
