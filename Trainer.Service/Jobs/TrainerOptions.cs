namespace Trainer.Service.Jobs;

/// <summary>The "Trainer" configuration section.</summary>
public sealed class TrainerOptions
{
    public const string Section = "Trainer";

    /// <summary>TorchSharp threads for this replica; the AppHost passes cores ÷ replicas. 0: all cores.</summary>
    public int TorchThreads { get; set; }

    /// <summary>Names this replica in progress blobs and events; default host name and process id.</summary>
    public string? ReplicaName { get; set; }

    /// <summary>How often a running job writes its progress blob and looks for a cancel marker.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At most one progress log line per training run this often.</summary>
    public TimeSpan LogInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A FaceNet2 manifest this old whose job.json still is not completed means its writer died between the commit and the
    /// bookkeeping; a later completion check then finishes the job and publishes ModelTrained.
    /// </summary>
    public TimeSpan CommitRecoveryAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>On shutdown, how long running consumers may finish before their token is cancelled and the message returns to the queue.</summary>
    public TimeSpan ConsumerStopTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Datasets kept in memory per replica (shards of one job reuse the download).</summary>
    public int DatasetCacheSize { get; set; } = 2;

    public int EffectiveTorchThreads => TorchThreads > 0 ? TorchThreads : Environment.ProcessorCount;

    public string EffectiveReplicaName => string.IsNullOrWhiteSpace(ReplicaName)
        ? $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant()
        : ReplicaName;
}
