using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using Inference.Service.Serving;

namespace Inference.Service.Tests;

/// <summary>The trainer's own manifest type, serialised as the trainer writes it, is what inference loads.</summary>
public class TrainerManifestTests
{
    private static readonly Guid Job = Guid.Parse("0d9a3c1e-1111-4222-8333-444455556666");

    private static JobManifest RoundTrip(TrainingJobManifest written) =>
        JobManifest.Parse(written.ToJson(), $"{Job}/manifest.json", "\"e\"", DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_single_network_manifest_names_its_weights_blob_and_engine_manifest()
    {
        var engine = new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, DatasetId = "facenet-1" };
        var parsed = RoundTrip(new TrainingJobManifest
        {
            JobId = Job, Model = TrainingModel.FaceNet3, DatasetId = "facenet-1", Architecture = DenseArchitecture.FaceNet3,
            WeightsBlob = $"{Job}/model-a1.safetensors", Weights = engine, CreatedAt = DateTimeOffset.UtcNow,
            Quality = new QualityReport(new VolumeScores(0.6, 10), new VolumeScores(0.4, 14), new VolumeScores(0.5, 12), 7, 0, 1.0),
        });
        Assert.Equal(TrainingModel.FaceNet3, parsed.Model);
        Assert.Equal($"{Job}/model-a1.safetensors", parsed.Weights);
        Assert.Equal(ModelKind.FaceNet3, parsed.ModelManifest!.Kind);
        Assert.Equal(0.6, parsed.Quality!["model"]!["occupancyIoU"]!.GetValue<double>());
        Assert.Null(parsed.Promoted); // written before the gate: still a default candidate
        Assert.True(parsed.IsDefaultCandidate);
    }

    [Fact]
    public void The_gates_verdict_reaches_inference()
    {
        var engine = new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, DatasetId = "facenet-1" };
        var parsed = RoundTrip(new TrainingJobManifest
        {
            JobId = Job, Model = TrainingModel.FaceNet3, DatasetId = "facenet-1", Architecture = DenseArchitecture.FaceNet3,
            WeightsBlob = $"{Job}/model-a1.safetensors", Weights = engine, CreatedAt = DateTimeOffset.UtcNow,
            Promotion = new ModelPromotion { Promoted = false, Reason = "not promoted: does not beat its baselines" },
        });
        Assert.Equal((false, "not promoted: does not beat its baselines"), (parsed.Promoted, parsed.PromotionReason));
        Assert.False(parsed.IsDefaultCandidate);
    }

    [Fact]
    public void A_FaceNet2_manifest_lists_its_shards_in_the_trainers_spelling()
    {
        var shards = new[] { (0, 16384), (16384, 16384) }.Select(r => new TrainedShard
        {
            FirstVoxel = r.Item1, VoxelCount = r.Item2, Trained = 10, Pruned = r.Item2 - 10,
            WeightsBlob = $"{Job}/shards/{r.Item1:D5}-{r.Item2:D5}.safetensors", ManifestBlob = $"{Job}/shards/{r.Item1:D5}-{r.Item2:D5}.json",
            WeightsSha256 = "00", WeightsBytes = 1,
        }).ToList();
        var parsed = RoundTrip(new TrainingJobManifest
        {
            JobId = Job, Model = TrainingModel.FaceNet2, DatasetId = "facenet-1", Architecture = DenseArchitecture.FaceNet2Voxel,
            Shards = shards, ShardSize = 16384, CreatedAt = DateTimeOffset.UtcNow,
        });
        Assert.Equal(2, parsed.Shards.Count);
        Assert.Equal(new ShardReference(16384, 16384, $"{Job}/shards/16384-16384.safetensors", $"{Job}/shards/16384-16384.json"), parsed.Shards[1]);
        Assert.IsType<JsonObject>(parsed.Document);
    }
}
