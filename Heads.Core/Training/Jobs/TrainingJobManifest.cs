using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Heads.Core.Training.Jobs;

/// <summary>One stored FaceNet2 shard as the job manifest lists it; blob names are inside the models container.</summary>
public sealed record TrainedShard
{
    public required int FirstVoxel { get; init; }
    public required int VoxelCount { get; init; }
    public required string WeightsBlob { get; init; }
    public required string ManifestBlob { get; init; }
    /// <summary>Voxels with a network.</summary>
    public required int Trained { get; init; }
    /// <summary>Voxels stored as a constant (constant over the training samples).</summary>
    public required int Pruned { get; init; }
    /// <summary>Training loss of the shard's last epoch (mean over its trained voxels); null when every voxel was pruned.</summary>
    public double? FinalLoss { get; init; }
    public required string WeightsSha256 { get; init; }
    public required long WeightsBytes { get; init; }
}

/// <summary>
/// models/{job}/manifest.json: the trained model of a job, written once with a conditional create (the job's commit). A
/// single network (HeadsNet, FaceNet1, FaceNet3) is <see cref="WeightsBlob"/> described by <see cref="Weights"/>; FaceNet2 is
/// the <see cref="Shards"/> covering voxels 0..32767 exactly once. FaceNet models carry a <see cref="QualityReport"/> on the
/// dataset's held-out heads (absent when it has none); HeadsNet carries <see cref="PointCloud"/>.
/// </summary>
public sealed record TrainingJobManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public required string DatasetId { get; init; }
    public required DenseArchitecture Architecture { get; init; }
    /// <summary>The engine options the job trained with (optimiser, batch, epochs, sample limit, seed, pruning, shard size…).</summary>
    public JsonObject? HyperParameters { get; init; }
    public int TrainingSamples { get; init; }
    /// <summary>Mean training loss per epoch; for FaceNet2 averaged over shards weighted by their trained voxels.</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = [];
    public string? WeightsBlob { get; init; }
    public ModelManifest? Weights { get; init; }
    public IReadOnlyList<TrainedShard> Shards { get; init; } = [];
    public int ShardSize { get; init; }
    public int PrunedVoxels { get; init; }
    public QualityReport? Quality { get; init; }
    /// <summary>Whether this model may serve as its family's default, and why (absent in manifests written before the gate).</summary>
    public ModelPromotion? Promotion { get; init; }
    /// <summary>Loss on the validation heads after each epoch (face models; FaceNet2 averaged over shards).</summary>
    public IReadOnlyList<double> ValidationLosses { get; init; } = [];
    /// <summary>HeadsNet: its training heads and mid-seeds against the bar (<see cref="HeadsNetEvaluation"/>).</summary>
    [JsonConverter(typeof(HeadsNetQualityReportJsonConverter))]
    public HeadsNetQualityReport? PointCloud { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ModelManifest.JsonOptions);

    /// <summary>Reads and checks a job manifest; a malformed one is an <see cref="InvalidDataException"/> naming the problem.</summary>
    public static TrainingJobManifest Parse(ReadOnlySpan<byte> json)
    {
        TrainingJobManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<TrainingJobManifest>(json, ModelManifest.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The training job manifest is not valid JSON: {e.Message}", e);
        }
        if (manifest is null) throw new InvalidDataException("The training job manifest is empty.");
        if (manifest.FormatVersion != CurrentFormatVersion)
            throw new InvalidDataException($"Training job manifest format {manifest.FormatVersion} is not supported (this build reads {CurrentFormatVersion}).");
        if (manifest.Model == TrainingModel.FaceNet2)
            VoxelShardPlan.CheckCoverage(manifest.Shards.Select(s => new VoxelShardRange(s.FirstVoxel, s.VoxelCount)));
        else if (manifest.WeightsBlob is null || manifest.Weights is null)
            throw new InvalidDataException($"The {manifest.Model} manifest of job {manifest.JobId} names no weights.");
        return manifest;
    }
}
