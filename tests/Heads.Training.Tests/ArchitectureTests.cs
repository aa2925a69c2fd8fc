using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class ArchitectureTests
{
    [Fact]
    public void OriginalArchitecturesHaveTheOriginalShapesAndParameterCounts()
    {
        Assert.Equal(39_169, DenseArchitecture.FaceNet2Voxel.ParameterCount);
        Assert.Equal(446_982, DenseArchitecture.HeadsNet.ParameterCount);
        Assert.Equal(1_120_480, DenseArchitecture.FaceNet1.ParameterCount);
        Assert.Equal(DenseArchitecture.FaceNet1.ParameterCount, DenseArchitecture.FaceNet3.ParameterCount);
        Assert.Equal((7, 32, Activation.Selu), (DenseArchitecture.FaceNet1.HiddenLayers, DenseArchitecture.FaceNet1.Units, DenseArchitecture.FaceNet1.Activation));
        Assert.Equal((7, 32, Activation.Gelu, WeightInit.GlorotUniform), (DenseArchitecture.FaceNet3.HiddenLayers, DenseArchitecture.FaceNet3.Units, DenseArchitecture.FaceNet3.Activation, DenseArchitecture.FaceNet3.WeightInit));
        Assert.Equal((4, 384, Activation.Selu), (DenseArchitecture.HeadsNet.HiddenLayers, DenseArchitecture.HeadsNet.Units, DenseArchitecture.HeadsNet.Activation));
        Assert.Equal(32768L * 39_169, 1_283_489_792L);
    }

    [Fact]
    public void ModulesHoldExactlyTheArchitecturesParameters()
    {
        using var headsNet = new DenseNetwork(DenseArchitecture.HeadsNet, 1);
        Assert.Equal(446_982, headsNet.parameters().Sum(p => p.numel()));
        using var faceNet2 = new DenseNetwork(DenseArchitecture.FaceNet2Voxel, 1);
        Assert.Equal(39_169, faceNet2.parameters().Sum(p => p.numel()));
        using var ensemble = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [0, 1, 2], 1);
        Assert.Equal(3 * 39_169, ensemble.parameters().Sum(p => p.numel()));
        Assert.Equal(new long[] { 3, 32, 1024 }, ensemble.FirstWeight.shape);
    }

    [Fact]
    public void EnsembleForwardEqualsEachNetworkAlone()
    {
        using var scope = NewDisposeScope();
        using var ensemble = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [5, 9, 200, 32767], 3);
        var x = rand(6, 1024);
        var all = ensemble.forward(x);
        Assert.Equal(new long[] { 6, 4 }, all.shape);
        for (int v = 0; v < 4; v++)
        {
            using var net = ensemble.ExtractNetwork(v);
            EnsembleEquivalenceTests.AssertClose(net.forward(x).squeeze(1), all.select(1, v), $"net {v}", 1e-6);
        }
    }

    [Fact]
    public void VoxelNetworksStartTheSameWhateverTheirEnsemble()
    {
        using var scope = NewDisposeScope();
        using var a = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [10, 11, 12], 42);
        using var b = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [12], 42);
        using var c = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [12], 43);
        Assert.True(a.FirstWeight[2].eq(b.FirstWeight[0]).all().item<bool>());
        Assert.False(c.FirstWeight[0].eq(b.FirstWeight[0]).all().item<bool>());
        Assert.False(a.FirstWeight[0].eq(a.FirstWeight[1]).all().item<bool>());
    }

    [Fact]
    public void WeightsStartGlorotUniformWithZeroBiases()
    {
        using var net = new DenseNetwork(DenseArchitecture.FaceNet3, 1);
        double limit = Math.Sqrt(6.0 / (1024 + 32));
        using var w = net.Weight(0).abs().max();
        Assert.InRange(w.item<float>(), limit * 0.95, limit);
        using var b = net.Bias(0).abs().max();
        Assert.Equal(0f, b.item<float>());
    }

    [Fact]
    public void AnEnsembleRejectsNetworksWithMoreThanOneOutput()
    {
        var e = Assert.Throws<ArgumentException>(() => new VoxelEnsemble(DenseArchitecture.FaceNet1, [0], 1));
        Assert.Contains("one output", e.Message);
    }

    [Fact]
    public void PostProcessingZeroesTinyValuesScalesRoundsAndClamps()
    {
        using var scope = NewDisposeScope();
        var raw = tensor(new float[] { 0.002f, 0.0031f, 0.5f, 1.2f, -0.1f, 0.1f });
        Assert.Equal(new byte[] { 0, 1, 128, 255, 0, 26 }, VolumePostProcessing.ToByteArray(raw));
    }
}
