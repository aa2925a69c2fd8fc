using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class FaceNet2ModelTests
{
    private static VoxelShard ConstantShard(int first, int count, Func<int, byte> value)
    {
        var voxels = Enumerable.Range(first, count).ToArray();
        var manifest = new ModelManifest { Kind = ModelKind.FaceNet2Shard, Architecture = Synthetic.TinyVoxelNet, Voxels = new VoxelRange(first, count, 0, count) };
        return new VoxelShard(manifest, [], voxels, voxels.Select(value).ToArray(), null);
    }

    [Fact]
    public void ShardsAssembleIntoAWholeVolumePredictor()
    {
        var set = Synthetic.FaceNetSet(samples: 8, learnable: 32768 - 16384 + 24);
        using var trainedShard = VoxelShardTrainer.Train(set, 16376, 40, Synthetic.TinyFaceNet2(epochs: 1));
        using var model = new FaceNet2Model();
        model.Add(ConstantShard(0, 16376, v => (byte)(v % 7)));
        Assert.False(model.IsComplete);
        Assert.Equal([(16376, 32768 - 16376)], model.MissingRanges);
        var missing = Assert.Throws<InvalidOperationException>(() => model.PredictVolumes(set.Faces.AsSpan(0, 1024)));
        Assert.Contains("16376..32767", missing.Message);

        model.Add(ConstantShard(16416, 32768 - 16416, v => (byte)(v % 5)));
        var shard = VoxelShardTrainer.Train(set, 16376, 40, Synthetic.TinyFaceNet2(epochs: 1));
        model.Add(shard);
        Assert.True(model.IsComplete);

        var volumes = model.PredictVolumes(set.Faces.AsSpan(0, 3 * 1024));
        Assert.Equal(3 * 32768, volumes.Length);
        var part = trainedShard.Predict(set.Faces.AsSpan(0, 3 * 1024));
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal((byte)(100 % 7), volumes[s * 32768 + 100]);
            Assert.Equal((byte)(20000 % 5), volumes[s * 32768 + 20000]);
            Assert.Equal(part.AsSpan(s * 40, 40), volumes.AsSpan(s * 32768 + 16376, 40));
        }

        // Into a caller's (pooled) buffer: the same bytes; a buffer of the wrong size is refused.
        var into = new byte[3 * 32768 + 5];
        model.PredictVolumes(set.Faces.AsSpan(0, 3 * 1024), into.AsSpan(0, 3 * 32768));
        Assert.Equal(volumes, into.AsSpan(0, 3 * 32768).ToArray());
        Assert.Throws<ArgumentException>(() => model.PredictVolumes(set.Faces.AsSpan(0, 1024), into.AsSpan()));
    }

    [Fact]
    public void A_FaceNet_predicts_into_a_buffer_as_into_a_new_array()
    {
        using var model = new FaceNetModel(new DenseNetwork(DenseArchitecture.FaceNet3, 3),
            new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3 });
        var faces = new byte[4 * 1024];
        new Random(5).NextBytes(faces);
        var expected = model.PredictVolumes(faces);
        var into = new byte[4 * 32768];
        model.PredictVolumes(faces, into);
        Assert.Equal(expected, into);
        Assert.Contains(into, v => v != 0);
        Assert.Throws<ArgumentException>(() => model.PredictVolumes(faces, new byte[32768]));
    }

    [Fact]
    public void OverlappingShardsAreRejected()
    {
        using var model = new FaceNet2Model();
        model.Add(ConstantShard(0, 100, _ => 0));
        using var overlapping = ConstantShard(50, 100, _ => 0);
        var e = Assert.Throws<ArgumentException>(() => model.Add(overlapping));
        Assert.Contains("overlaps", e.Message);
    }
}
