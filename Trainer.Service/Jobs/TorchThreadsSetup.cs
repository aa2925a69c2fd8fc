using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Trainer.Service.Jobs;

/// <summary>Sets TorchSharp's thread count at start: replicas on one machine split its cores instead of oversubscribing them.</summary>
public sealed class TorchThreadsSetup(IOptions<TrainerOptions> options, ILogger<TorchThreadsSetup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        int threads = options.Value.EffectiveTorchThreads;
        set_num_threads(threads);
        logger.LogInformation("Trainer replica {Replica}: TorchSharp uses {Threads} threads ({Cores} cores)",
            options.Value.EffectiveReplicaName, get_num_threads(), Environment.ProcessorCount);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
