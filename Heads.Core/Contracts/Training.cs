namespace Heads.Core.Contracts;

/// <summary>The networks a training job can produce.</summary>
public enum TrainingModel
{
    HeadsNet,
    FaceNet1,
    FaceNet2,
    FaceNet3,
    /// <summary>The default face model: a wide, shallow MLP predicting the volume's principal components (see FaceNetPcaOptions).</summary>
    FaceNetPca,
}

/// <summary>Model kinds by name, as every API, manifest and command line spells them.</summary>
public static class TrainingModels
{
    /// <summary>One of the names below, in any case; never a number (Enum.TryParse alone would take "7").</summary>
    public static bool TryParse(string? text, out TrainingModel model)
    {
        model = default;
        return !string.IsNullOrWhiteSpace(text) && !int.TryParse(text, out _)
            && Enum.TryParse(text, ignoreCase: true, out model) && Enum.IsDefined(model);
    }

    /// <summary>"HeadsNet, FaceNet1, FaceNet2, FaceNet3, FaceNetPca", for messages.</summary>
    public static string Names => string.Join(", ", Enum.GetNames<TrainingModel>());
}

/// <summary>Command: train a model on a dataset. Unset hyper-parameters take the original project's values.</summary>
public sealed record StartTraining
{
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public required string DatasetId { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public int? SampleLimit { get; init; }
    public string? Optimizer { get; init; }
    public int? Seed { get; init; }
    /// <summary>FaceNet2: voxels per shard (the unit of work one replica takes).</summary>
    public int? ShardSize { get; init; }
    /// <summary>FaceNet2: skip voxels whose target is constant over the training set.</summary>
    public bool PruneConstantVoxels { get; init; } = true;
    /// <summary>Face models: "mse" (the originals') or "empty-aware" (see VolumeLoss); unset: the model's default.</summary>
    public string? Loss { get; init; }
    /// <summary>HeadsNet: the input encoding, "SphereFourier" (the default) or "Original" (the original's two raw inputs).</summary>
    public string? Encoding { get; init; }
}

/// <summary>Command: train FaceNet2 voxels [FirstVoxel, FirstVoxel + VoxelCount) of a job; any replica may take it.</summary>
public sealed record TrainVoxelShard
{
    /// <summary>The sender's <see cref="HeadsCompatibility.ContractVersion"/>; a replica of another version refuses the shard.</summary>
    public required int ContractVersion { get; init; }
    public required Guid JobId { get; init; }
    public required string DatasetId { get; init; }
    public required int FirstVoxel { get; init; }
    public required int VoxelCount { get; init; }
}

/// <summary>Event: models/{job}/shards/{first}-{count} is stored.</summary>
public sealed record VoxelShardTrained
{
    public required Guid JobId { get; init; }
    public required int FirstVoxel { get; init; }
    public required int VoxelCount { get; init; }
    public required int PrunedVoxels { get; init; }
    public required double FinalLoss { get; init; }
    public required double Seconds { get; init; }
    public required string Replica { get; init; }
}

/// <summary>Event: models/{job}/manifest.json is committed; published exactly once per job.</summary>
public sealed record ModelTrained
{
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public required string DatasetId { get; init; }
    public required string ManifestBlob { get; init; }
}

/// <summary>Event: a job ended without a model, with the reason.</summary>
public sealed record TrainingFailed
{
    public required Guid JobId { get; init; }
    public required string Reason { get; init; }
}
