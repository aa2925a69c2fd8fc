namespace Trainer.Service.Jobs;

/// <summary>The "Trainer" configuration section.</summary>
public sealed class TrainerOptions
{
    public const string Section = "Trainer";

    /// <summary>
    /// A trainer on another machine that joins a shared stack: it checks the broker, storage and versions at start
    /// (Cluster/WorkerPreflight) and does not store the compatibility document.
    /// </summary>
    public bool Worker { get; set; }

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

    public TrainerPipelineOptions Pipeline { get; set; } = new();
}

/// <summary>
/// The default pipeline's training step (Trainer:Pipeline): which models train when a dataset is built, with settings
/// sized so the whole pipeline finishes in minutes on a 2-core machine. Unset values take the original's.
/// </summary>
public sealed class TrainerPipelineOptions
{
    public bool TrainOnDataset { get; set; }

    /// <summary>Comma-separated, in the order their jobs start: the default face model first. The originals FaceNet1/3 train on request (their 166–777 epochs would hold a replica for many minutes).</summary>
    public string Models { get; set; } = "FaceNetPca,HeadsNet,FaceNet2";

    public PipelineModelSettings FaceNet1 { get; set; } = new() { Epochs = 100 };
    public PipelineModelSettings FaceNet3 { get; set; } = new();
    public PipelineModelSettings FaceNetPca { get; set; } = new();
    /// <summary>The empty-aware loss: with plain MSE FaceNet2 does not beat ridge regression (see docs/models.md).</summary>
    public PipelineModelSettings FaceNet2 { get; set; } = new() { Epochs = 20, ShardSize = 2048, Loss = "empty-aware-absolute" };
    /// <summary>SphereFourier HeadsNet (the default encoding) on the pipeline's 40 heads: meets the HeadsNet bar in ~130 s of one core.</summary>
    public PipelineModelSettings HeadsNet { get; set; } = new() { Epochs = 10 };

    public IReadOnlyList<Heads.Core.Contracts.TrainingModel> ModelList() => Models
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(m => Enum.TryParse<Heads.Core.Contracts.TrainingModel>(m, ignoreCase: true, out var model) && Enum.IsDefined(model)
            ? model
            : throw new InvalidOperationException($"Trainer:Pipeline:Models names '{m}', not one of {string.Join(", ", Enum.GetNames<Heads.Core.Contracts.TrainingModel>())}."))
        .Distinct()
        .ToList();

    public PipelineModelSettings For(Heads.Core.Contracts.TrainingModel model) => model switch
    {
        Heads.Core.Contracts.TrainingModel.FaceNet1 => FaceNet1,
        Heads.Core.Contracts.TrainingModel.FaceNet2 => FaceNet2,
        Heads.Core.Contracts.TrainingModel.FaceNet3 => FaceNet3,
        Heads.Core.Contracts.TrainingModel.FaceNetPca => FaceNetPca,
        _ => HeadsNet,
    };
}

public sealed class PipelineModelSettings
{
    public int? Epochs { get; set; }
    public int? BatchSize { get; set; }
    public double? LearningRate { get; set; }
    public int? SampleLimit { get; set; }
    public int? ShardSize { get; set; }
    public string? Loss { get; set; }
}
