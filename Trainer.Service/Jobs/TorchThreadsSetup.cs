using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Trainer.Service.Jobs;

/// <summary>Sets TorchSharp's thread count at start (replicas on one machine split its cores instead of oversubscribing them) and keeps enough pool threads ready for the engine's parallel loops.</summary>
public sealed class TorchThreadsSetup(IOptions<TrainerOptions> options, ILogger<TorchThreadsSetup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        int threads = options.Value.EffectiveTorchThreads;
        set_num_threads(threads);
        // The engine's optimiser steps fan out with Parallel.For every few milliseconds; workers that wait for the pool to
        // inject threads (about one a second at start) made a first shard 10× slower than the next.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, threads + 8), io);
        logger.LogInformation("Trainer replica {Replica}: TorchSharp uses {Threads} threads ({Cores} cores)",
            options.Value.EffectiveReplicaName, get_num_threads(), Environment.ProcessorCount);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
