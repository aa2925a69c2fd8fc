using Heads.Core.Models;
using Heads.Core.Training;

namespace Heads.Training.Tests;

public class TrainingSetTests
{
    [Fact]
    public void SplitIsDeterministicDisjointAndOrdered()
    {
        var set = Synthetic.FaceNetSet(samples: 30, learnable: 4);
        var (train, heldOut) = set.Split(seed: 9);
        var (train2, heldOut2) = set.Split(seed: 9);
        var (_, heldOut3) = set.Split(seed: 10);
        Assert.Equal((27, 3), (train.Count, heldOut.Count));
        Assert.Equal(heldOut.Faces, heldOut2.Faces);
        Assert.Equal(train.Volumes, train2.Volumes);
        Assert.NotEqual(heldOut.Faces, heldOut3.Faces);
        var index = Enumerable.Range(0, 30).ToDictionary(i => Convert.ToHexString(set.Face(i)), i => i);
        var trainIndices = Enumerable.Range(0, 27).Select(i => index[Convert.ToHexString(train.Face(i))]).ToList();
        var heldIndices = Enumerable.Range(0, 3).Select(i => index[Convert.ToHexString(heldOut.Face(i))]).ToList();
        Assert.Equal(trainIndices.Order(), trainIndices);
        Assert.Empty(trainIndices.Intersect(heldIndices));
        Assert.Equal(30, trainIndices.Union(heldIndices).Count());
    }

    [Fact]
    public void MismatchedSizesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new FaceNetTrainingSet(new byte[2048], new byte[32768]));
        Assert.Contains("2 faces but 1 volumes", e.Message);
        Assert.Throws<ArgumentException>(() => new FaceNetTrainingSet(new byte[1000], new byte[32768]));
    }

    [Fact]
    public void TheOriginalFilesLoadIncludingTheGzipVolumes()
    {
        var set = FaceNetTrainingSet.Load(SharedData.TrainX, SharedData.TrainYGz, limit: 6);
        Assert.Equal(6, set.Count);
        Assert.Equal("facenet", set.Id);
        using var raw = File.OpenRead(SharedData.TrainX);
        var firstFace = new byte[1024];
        raw.ReadExactly(firstFace);
        Assert.Equal(firstFace, set.Face(0).ToArray());
        Assert.Contains(set.Volumes, b => b != 0);
    }

    [Fact]
    public void RealFacesTrainAShardEndToEnd()
    {
        var set = FaceNetTrainingSet.Load(SharedData.TrainX, SharedData.TrainYGz, limit: 12);
        int first = 16 * 1024 + 16 * 32; // a column through the middle of the volume
        using var shard = VoxelShardTrainer.Train(set, first, 32, Synthetic.TinyFaceNet2(epochs: 2));
        Assert.Equal(32, shard.Manifest.Voxels!.Trained + shard.Manifest.Voxels.Constant);
        Assert.Equal(12 * 32, shard.Predict(set.Faces).Length);
    }

    [Fact]
    public void FaceNetTrainingReducesTheLoss()
    {
        var set = Synthetic.FaceNetSet(samples: 12, learnable: 32768);
        var options = FaceNetOptions.FaceNet3 with
        {
            Architecture = DenseArchitecture.FaceNet3 with { HiddenLayers = 1, Units = 8 },
            Epochs = 15,
            BatchSize = 4,
            Optimizer = new OptimizerOptions { LearningRate = 0.01 },
        };
        using var model = FaceNetTrainer.Train(set, options);
        var losses = model.Manifest.EpochLosses;
        Assert.Equal(ModelKind.FaceNet3, model.Manifest.Kind);
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss went from {losses[0]:G4} to {losses[^1]:G4}");
    }
}
