using Heads.Core.Training.Jobs;
using System.Text.Json;
using System.Text.Json.Serialization;
using Heads.Core.Contracts;
using Heads.Core.Training;

namespace Trainer.Service.Jobs;

public enum TrainingJobState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>models/{job}/job.json: a job's state, shared by every replica and changed only with ETag-conditional writes.</summary>
public sealed record TrainingJob
{
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public required string DatasetId { get; init; }
    /// <summary>The command as first received; its hyper-parameters win over later duplicates.</summary>
    public required StartTraining Request { get; init; }
    public TrainingJobState State { get; init; } = TrainingJobState.Queued;
    /// <summary>FaceNet2: voxels per shard and the number of shards; 0 for single-network models.</summary>
    public int ShardSize { get; init; }
    public int ShardsTotal { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Single-network models: the replica training it.</summary>
    public string? Replica { get; init; }
    public string? Error { get; init; }
    /// <summary>"models/{job}/manifest.json" once completed.</summary>
    public string? ManifestBlob { get; init; }
    public double? FinalLoss { get; init; }
    public int? PrunedVoxels { get; init; }
    public QualityReport? Quality { get; init; }
    /// <summary>Whether the model may serve as a default, and why (see the promotion gate).</summary>
    public ModelPromotion? Promotion { get; init; }

    [JsonIgnore]
    public bool IsFinished => State is TrainingJobState.Completed or TrainingJobState.Failed or TrainingJobState.Cancelled;
}

/// <summary>models/{job}/progress.json (single-network jobs) or models/{job}/progress/{range}.json (a FaceNet2 shard).</summary>
public sealed record TrainingJobProgress
{
    public required string Replica { get; init; }
    public int Epoch { get; init; }
    public int Epochs { get; init; }
    public double Loss { get; init; }
    public double SamplesPerSecond { get; init; }
    /// <summary>FaceNet2: voxels of the shard finished (pruned ones at once) and its size.</summary>
    public int VoxelsDone { get; init; }
    public int VoxelsTotal { get; init; }
    /// <summary>Share of this run's work done, 0..1.</summary>
    public double Fraction { get; init; }
    public double ElapsedSeconds { get; init; }
    public double? EtaSeconds { get; init; }
    public bool Finished { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <param name="pruned">FaceNet2: voxels of the shard stored as constants (no training time).</param>
    /// <param name="blockSize">FaceNet2: networks trained at once (the engine's ensemble size).</param>
    public static TrainingJobProgress From(TrainingProgress p, string replica, bool finished, int pruned = 0, int blockSize = int.MaxValue)
    {
        double fraction;
        if (p.VoxelsTotal > 0)
        {
            // Time goes into the trained voxels only; the engine counts a block as done when its last epoch ends, so the
            // running block is credited by its share of epochs.
            int trainedTotal = p.VoxelsTotal - pruned;
            int trainedDone = p.VoxelsDone - pruned;
            double running = p.Epoch >= p.Epochs ? 0 : Math.Min(blockSize, trainedTotal - trainedDone) * (double)p.Epoch / Math.Max(1, p.Epochs);
            fraction = trainedTotal <= 0 ? 1 : (trainedDone + running) / trainedTotal;
        }
        else
        {
            fraction = (double)p.Epoch / Math.Max(1, p.Epochs);
        }
        fraction = finished ? 1 : Math.Clamp(fraction, 0, 1);
        double elapsed = p.Elapsed.TotalSeconds;
        double? eta = fraction is > 0 and < 1 ? elapsed * (1 - fraction) / fraction : fraction >= 1 ? 0 : null;
        return new TrainingJobProgress
        {
            Replica = replica,
            Epoch = p.Epoch,
            Epochs = p.Epochs,
            Loss = p.Loss,
            SamplesPerSecond = p.SamplesPerSecond,
            VoxelsDone = p.VoxelsDone,
            VoxelsTotal = p.VoxelsTotal,
            Fraction = fraction,
            ElapsedSeconds = elapsed,
            EtaSeconds = eta,
            Finished = finished,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
    }
}

/// <summary>What GET /api/v1/training-jobs/{id} shows: job.json combined with the progress and shard blobs.</summary>
public sealed record TrainingJobStatus
{
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public required string DatasetId { get; init; }
    public required TrainingJobState State { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int ShardsDone { get; init; }
    public int ShardsTotal { get; init; }
    public int ShardsRunning { get; init; }
    public int? Epoch { get; init; }
    public int? Epochs { get; init; }
    public double? LatestLoss { get; init; }
    public double? SamplesPerSecond { get; init; }
    public double? EtaSeconds { get; init; }
    public double? Progress { get; init; }
    public IReadOnlyList<string> Replicas { get; init; } = [];
    public string? Error { get; init; }
    public string? ManifestBlob { get; init; }
    public int? PrunedVoxels { get; init; }
    public QualityReport? Quality { get; init; }
    public ModelPromotion? Promotion { get; init; }
    public required StartTraining Request { get; init; }
}

/// <summary>JSON for the trainer's blobs: web casing, enums as names.</summary>
public static class TrainerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static BinaryData Serialize<T>(T value) => new(JsonSerializer.SerializeToUtf8Bytes(value, Options));

    public static T Deserialize<T>(BinaryData data, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data.ToMemory().Span, Options) ?? throw new InvalidDataException($"{what} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid: {e.Message}", e);
        }
    }
}
