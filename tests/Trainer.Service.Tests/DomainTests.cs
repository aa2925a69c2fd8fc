using Azure;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using Trainer.Service.Jobs;

namespace Trainer.Service.Tests;

/// <summary>The job logic that needs no broker or storage: shard plans, hyper-parameters, dataset manifests, shard-by-shard prediction.</summary>
public sealed class DomainTests
{
    [Fact]
    public void A_plan_covers_the_volume_in_shards_of_the_requested_size()
    {
        var plan = VoxelShardPlan.Split(5000);
        Assert.Equal(7, plan.Count);
        Assert.Equal(new VoxelShardRange(30000, 2768), plan[^1]);
        VoxelShardPlan.CheckCoverage(plan);
        Assert.Equal(16, VoxelShardPlan.ShardCount(VoxelShardPlan.DefaultShardSize));
        Assert.Equal("30000-02768", plan[^1].Name);
        Assert.True(VoxelShardRange.TryParse("30000-02768", out var parsed));
        Assert.Equal(plan[^1], parsed);
        Assert.Equal([plan[1], plan[6]], VoxelShardPlan.Missing(plan, [plan[0], plan[2], plan[3], plan[4], plan[5]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoxelShardPlan.Split(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoxelShardPlan.Split(32769));
    }

    [Theory]
    [InlineData("30000-02769")] // past the last voxel
    [InlineData("00000-00000")]
    [InlineData("0000-000010")]
    [InlineData("abcde-00010")]
    [InlineData("00000-00010.json")]
    public void Shard_names_outside_the_volume_or_malformed_are_refused(string name) =>
        Assert.False(VoxelShardRange.TryParse(name, out _));

    [Fact]
    public void Coverage_checks_name_the_gap_or_overlap()
    {
        var gap = Assert.Throws<InvalidDataException>(() => VoxelShardPlan.CheckCoverage([new(0, 100), new(200, 32568)]));
        Assert.Contains("100..199", gap.Message);
        var overlap = Assert.Throws<InvalidDataException>(() => VoxelShardPlan.CheckCoverage([new(0, 100), new(50, 32718)]));
        Assert.Contains("overlaps", overlap.Message);
        var tail = Assert.Throws<InvalidDataException>(() => VoxelShardPlan.CheckCoverage([new(0, 32000)]));
        Assert.Contains("32000..32767", tail.Message);
    }

    [Fact]
    public void Unset_hyper_parameters_keep_the_original_values_and_set_ones_override_them()
    {
        var command = new StartTraining { JobId = Guid.NewGuid(), Model = TrainingModel.FaceNet2, DatasetId = "d" };
        var defaults = TrainingJobOptions.FaceNet2(command, 2);
        Assert.Equal((166, 6, 90, true, 2048, 2), (defaults.Epochs, defaults.BatchSize, defaults.SampleLimit, defaults.PruneConstantVoxels, defaults.EnsembleSize, defaults.Threads));
        Assert.Equal(2048, TrainingJobOptions.ShardSize(command));

        var custom = TrainingJobOptions.FaceNet2(command with { Epochs = 3, ShardSize = 512, PruneConstantVoxels = false, Optimizer = "rms-prop", LearningRate = 0.01 }, 1);
        Assert.Equal((3, 512, false, OptimizerKind.RmsProp, 0.01), (custom.Epochs, custom.EnsembleSize, custom.PruneConstantVoxels, custom.Optimizer.Kind, custom.Optimizer.LearningRate));

        var faceNet1 = TrainingJobOptions.FaceNet(command with { Model = TrainingModel.FaceNet1 }, 1);
        Assert.Equal((ModelKind.FaceNet1, 777, 90), (faceNet1.Kind, faceNet1.Epochs, faceNet1.SampleLimit));
        Assert.Equal(256, TrainingJobOptions.HeadsNet(command with { Model = TrainingModel.HeadsNet }, 1).BatchSize);
    }

    [Theory]
    [InlineData(TrainingModel.FaceNet3, "optimizer", "Unknown optimizer 'lbfgs'")]
    [InlineData(TrainingModel.FaceNet3, "batch", "batchSize must be 1..65536; it was 0")]
    [InlineData(TrainingModel.FaceNet3, "huge-batch", "batchSize must be 1..65536; it was 2147483647")]
    [InlineData(TrainingModel.HeadsNet, "huge-epochs", "epochs must be 1..10000; it was 2147483647")]
    [InlineData(TrainingModel.FaceNetPca, "huge-samples", "sampleLimit must be 1..1000000; it was 2147483647")]
    [InlineData(TrainingModel.FaceNet3, "huge-rate", "learningRate must be 1E-08..1; it was 1000000000")]
    [InlineData(TrainingModel.FaceNet2, "tiny-shard", "shardSize must be 64..32768; it was 1")]
    [InlineData(TrainingModel.FaceNet3, "shard", "shardSize applies to FaceNet2 only")]
    [InlineData(TrainingModel.FaceNet2, "shard", "shardSize must be 64..32768; it was 40000")]
    [InlineData(TrainingModel.HeadsNet, "rate", "learningRate must be 1E-08..1; it was -1")]
    [InlineData(TrainingModel.FaceNet1, "dataset", "not a valid dataset id")]
    [InlineData(TrainingModel.HeadsNet, "encoding", "Unknown encoding 'fourier'; use one of Original, SphereFourier")]
    [InlineData(TrainingModel.FaceNet3, "encoding", "encoding applies to HeadsNet only")]
    public void Invalid_hyper_parameters_are_refused_naming_the_field(TrainingModel model, string field, string expected)
    {
        var command = new StartTraining { JobId = Guid.NewGuid(), Model = model, DatasetId = "d" };
        command = field switch
        {
            "optimizer" => command with { Optimizer = "lbfgs" },
            "batch" => command with { BatchSize = 0 },
            "huge-batch" => command with { BatchSize = int.MaxValue },
            "huge-epochs" => command with { Epochs = int.MaxValue },
            "huge-samples" => command with { SampleLimit = int.MaxValue },
            "huge-rate" => command with { LearningRate = 1e9 },
            "tiny-shard" => command with { ShardSize = 1 },
            "shard" => command with { ShardSize = model == TrainingModel.FaceNet2 ? 40000 : 100 },
            "rate" => command with { LearningRate = -1 },
            "encoding" => command with { Encoding = "fourier" },
            _ => command with { DatasetId = "Bad/Id" },
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => TrainingJobOptions.Validate(command));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Dataset_manifests_are_read_tolerantly()
    {
        var listed = TrainingDatasets.Parse("d1", BinaryData.FromString("""
            {"datasetId":"d1","kind":"FaceNet","files":[{"name":"train_x.dat","bytes":2048,"sha256":"AB"},{"name":"train_y.dat","size":65536}],"extra":{"x":1}}
            """), new ETag("e"));
        Assert.Equal(DatasetKind.FaceNet, listed.Kind);
        Assert.Equal(new DatasetFile("train_x.dat", 2048, "AB"), listed.File("train_x.dat"));
        Assert.Equal(new DatasetFile("train_y.dat", 65536, null), listed.File("train_y.dat"));

        var keyed = TrainingDatasets.Parse("d2", BinaryData.FromString("""{"Kind":1,"Files":{"train_x.f32":{"Bytes":8,"Sha256":"cd"}}}"""), new ETag("e"));
        Assert.Equal(DatasetKind.HeadsNet, keyed.Kind);
        Assert.Equal(8, keyed.File("train_x.f32")!.Bytes);

        Assert.Contains("no \"kind\"", Assert.Throws<CorruptDatasetException>(() => TrainingDatasets.Parse("d3", BinaryData.FromString("{}"), new ETag("e"))).Message);
        Assert.Contains("VoxelNet", Assert.Throws<CorruptDatasetException>(() => TrainingDatasets.Parse("d4", BinaryData.FromString("""{"kind":"VoxelNet"}"""), new ETag("e"))).Message);
        Assert.Contains("not valid JSON", Assert.Throws<CorruptDatasetException>(() => TrainingDatasets.Parse("d5", BinaryData.FromString("{kind"), new ETag("e"))).Message);
    }

    [Fact]
    public void Predicting_shard_by_shard_matches_the_assembled_model()
    {
        var (faces, volumes) = TestDatasets.FaceNetRows(8, stride: 512, seed: 4);
        var set = new FaceNetTrainingSet(faces, volumes, "tiny");
        var options = new FaceNet2Options
        {
            Architecture = new DenseArchitecture(1024, 2, 4, 1, Activation.Gelu),
            Epochs = 2,
            BatchSize = 4,
            SampleLimit = null,
            Threads = 2,
        };
        var stored = new Dictionary<int, (ModelManifest Manifest, byte[] Weights)>();
        using var model = new FaceNet2Model();
        foreach (var range in VoxelShardPlan.Split(16384))
        {
            var shard = VoxelShardTrainer.Train(set, range.First, range.Count, options);
            using var weights = new MemoryStream();
            var manifest = shard.Save(weights);
            stored[range.First] = (manifest, weights.ToArray());
            model.Add(shard);
        }
        var predictor = new ShardSequencePredictor(stored.Values.Select(s => s.Manifest).ToList(), m => new MemoryStream(stored[m.Voxels!.First].Weights));
        Assert.Equal(model.PredictVolumes(faces.AsSpan(0, 3 * 1024)), predictor.PredictVolumes(faces.AsSpan(0, 3 * 1024)));

        var tampered = stored[0].Weights.ToArray();
        tampered[^1] ^= 0xff;
        var corrupt = new ShardSequencePredictor(stored.Values.Select(s => s.Manifest).ToList(), m => new MemoryStream(m.Voxels!.First == 0 ? tampered : stored[m.Voxels.First].Weights));
        Assert.Contains("Checksum mismatch", Assert.Throws<ModelFormatException>(() => corrupt.PredictVolumes(faces.AsSpan(0, 1024))).Message);
        Assert.Throws<InvalidDataException>(() => new ShardSequencePredictor([stored[0].Manifest], _ => Stream.Null));
    }

    [Fact]
    public void Job_manifests_round_trip_and_must_cover_the_volume()
    {
        var manifest = new TrainingJobManifest
        {
            JobId = Guid.NewGuid(),
            Model = TrainingModel.FaceNet2,
            DatasetId = "d",
            Architecture = DenseArchitecture.FaceNet2Voxel,
            Shards = [Entry(0, 16384), Entry(16384, 16384)],
            Quality = new QualityReport(new VolumeScores(0.5, 3), new VolumeScores(0.3, 5), new VolumeScores(0.4, 4), 4, 0, 1),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var read = TrainingJobManifest.Parse(manifest.ToJson());
        Assert.Equal(manifest.Shards, read.Shards);
        Assert.Equal(manifest.Quality, read.Quality);
        Assert.Throws<InvalidDataException>(() => TrainingJobManifest.Parse((manifest with { Shards = [Entry(0, 16384)] }).ToJson()));
        Assert.Throws<InvalidDataException>(() => TrainingJobManifest.Parse((manifest with { Model = TrainingModel.FaceNet3 }).ToJson()));

        static TrainedShard Entry(int first, int count) => new()
        {
            FirstVoxel = first,
            VoxelCount = count,
            WeightsBlob = $"j/shards/{first:D5}-{count:D5}.safetensors",
            ManifestBlob = $"j/shards/{first:D5}-{count:D5}.json",
            Trained = 10,
            Pruned = count - 10,
            FinalLoss = 0.01,
            WeightsSha256 = "00",
            WeightsBytes = 1,
        };
    }
}
