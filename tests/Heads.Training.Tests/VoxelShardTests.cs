using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class VoxelShardTests
{
    private static readonly FaceNetTrainingSet Set = Synthetic.FaceNetSet(samples: 12, learnable: 20);

    [Fact]
    public void ConstantVoxelsArePrunedStoredAndReported()
    {
        var reports = new List<TrainingProgress>();
        using var shard = VoxelShardTrainer.Train(Set, firstVoxel: 10, voxelCount: 16, Synthetic.TinyFaceNet2(epochs: 2), new SyncProgress(reports));
        Assert.Equal(new VoxelRange(10, 16, 10, 6), shard.Manifest.Voxels);
        Assert.Equal(Enumerable.Range(10, 10), shard.TrainedVoxels);
        Assert.Equal(Enumerable.Range(20, 6), shard.ConstantVoxels);
        Assert.Equal(Enumerable.Range(20, 6).Select(v => (byte)(v % 7)), shard.ConstantValues);
        Assert.Equal(10, shard.Ensemble!.Count);

        var predicted = shard.Predict(Set.Faces.AsSpan(0, 2 * 1024));
        for (int s = 0; s < 2; s++)
            for (int v = 20; v < 26; v++)
                Assert.Equal((byte)(v % 7), predicted[s * 16 + v - 10]);

        // The cache-resident engine reports once before training (only the pruned voxels done), then once per net.
        Assert.Equal(11, reports.Count);
        Assert.Equal((6, 16), (reports[0].VoxelsDone, reports[0].VoxelsTotal));
        Assert.Equal(Enumerable.Range(7, 10), reports.Skip(1).Select(r => r.VoxelsDone));
        Assert.All(reports.Skip(1), r => Assert.True(r.Loss > 0 && r.Epoch == r.Epochs));
    }

    [Fact]
    public void TheEnsembleEngineReportsPerEpochOfEachBlock()
    {
        var reports = new List<TrainingProgress>();
        using var shard = VoxelShardTrainer.Train(Set, 10, 16, Synthetic.TinyFaceNet2(epochs: 2) with { Engine = VoxelEngine.Ensemble }, new SyncProgress(reports));
        Assert.Equal(2, reports.Count);
        Assert.Equal((6, 16), (reports[0].VoxelsDone, reports[0].VoxelsTotal));
        Assert.Equal(16, reports[^1].VoxelsDone);
    }

    [Theory]
    [InlineData(VolumeLoss.Mse)]
    [InlineData(VolumeLoss.EmptyAwareAbsolute)]
    public void BothEnginesTrainTheSameShard(VolumeLoss loss)
    {
        // A shard through the cache-resident engine predicts what the ensemble engine's predicts for the same seed.
        var options = new FaceNet2Options { Epochs = 3, SampleLimit = 12, Loss = loss, Seed = 4 };
        using var resident = VoxelShardTrainer.Train(Set, 0, 40, options);
        using var ensemble = VoxelShardTrainer.Train(Set, 0, 40, options with { Engine = VoxelEngine.Ensemble, EnsembleSize = 16 });
        Assert.Equal(ensemble.TrainedVoxels, resident.TrainedVoxels);
        for (int e = 0; e < options.Epochs; e++) Assert.Equal(ensemble.Manifest.EpochLosses[e], resident.Manifest.EpochLosses[e], 1e-5);
        for (int l = 0; l < options.Architecture.LayerCount; l++)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            EnsembleEquivalenceTests.AssertClose(ensemble.Ensemble!.LinearWeight(l), resident.Ensemble!.LinearWeight(l), $"{loss} layer {l} weight");
            EnsembleEquivalenceTests.AssertClose(ensemble.Ensemble!.LinearBias(l), resident.Ensemble!.LinearBias(l), $"{loss} layer {l} bias");
        }
        using var faces = TorchSharp.torch.tensor(Set.ScaledFaces().AsSpan(0, 4 * 1024).ToArray(), [4, 1024]);
        using var a = ensemble.Ensemble!.forward(faces);
        using var b = resident.Ensemble!.forward(faces);
        EnsembleEquivalenceTests.AssertClose(a, b, $"{loss} predictions");
    }

    [Fact]
    public void PruningCanBeTurnedOff()
    {
        using var shard = VoxelShardTrainer.Train(Set, 18, 4, Synthetic.TinyFaceNet2(epochs: 1) with { PruneConstantVoxels = false });
        Assert.Equal(new VoxelRange(18, 4, 4, 0), shard.Manifest.Voxels);
    }

    [Fact]
    public void AnAllConstantShardNeedsNoNetworks()
    {
        using var shard = VoxelShardTrainer.Train(Set, 30000, 50, Synthetic.TinyFaceNet2(epochs: 1));
        Assert.Null(shard.Ensemble);
        Assert.Equal(new VoxelRange(30000, 50, 0, 50), shard.Manifest.Voxels);
        Assert.Equal(Enumerable.Range(30000, 50).Select(v => (byte)(v % 7)), shard.Predict(Set.Faces.AsSpan(0, 1024)));
    }

    [Fact]
    public void ResultsDoNotDependOnShardOrBlockBoundaries()
    {
        var options = Synthetic.TinyFaceNet2(epochs: 2);
        using var whole = VoxelShardTrainer.Train(Set, 0, 12, options);
        using var blocks = VoxelShardTrainer.Train(Set, 0, 12, options with { EnsembleSize = 5 });
        using var left = VoxelShardTrainer.Train(Set, 0, 7, options);
        using var right = VoxelShardTrainer.Train(Set, 7, 5, options);
        using var scope = NewDisposeScope();
        var x = VolumePostProcessing.Scale(Set.Faces, 1024);
        var expected = whole.Forward(x);
        EnsembleEquivalenceTests.AssertClose(expected, blocks.Forward(x), "blocks of 5", 1e-5);
        EnsembleEquivalenceTests.AssertClose(expected, cat([left.Forward(x), right.Forward(x)], 1), "two shards", 1e-5);
        Assert.Equal(whole.Manifest.EpochLosses[^1], blocks.Manifest.EpochLosses[^1], 1e-6);
    }

    [Fact]
    public void TrainingReducesTheLossOnALearnableTask()
    {
        var set = Synthetic.FaceNetSet(samples: 24, learnable: 8, seed: 5);
        using var shard = VoxelShardTrainer.Train(set, 0, 8, Synthetic.TinyFaceNet2(epochs: 30));
        var losses = shard.Manifest.EpochLosses;
        Assert.Equal(30, losses.Count);
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss went from {losses[0]:G4} to {losses[^1]:G4}");
    }

    [Fact]
    public void CancellationStopsTrainingPromptly()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => VoxelShardTrainer.Train(Set, 0, 12, Synthetic.TinyFaceNet2(epochs: 50), progress, cts.Token));
    }

    [Fact]
    public void BadRangesAndOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VoxelShardTrainer.Train(Set, 32760, 16, Synthetic.TinyFaceNet2()));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoxelShardTrainer.Train(Set, 0, 4, Synthetic.TinyFaceNet2() with { BatchSize = 0 }));
        var e = Assert.Throws<ArgumentException>(() => VoxelShardTrainer.Train(Set, 0, 4, Synthetic.TinyFaceNet2() with { Architecture = DenseArchitecture.FaceNet1 }));
        Assert.Contains("one voxel", e.Message);
    }
}

/// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
{
    public SyncProgress(List<TrainingProgress> into) : this(into.Add) { }

    public void Report(TrainingProgress value) => onReport(value);
}
