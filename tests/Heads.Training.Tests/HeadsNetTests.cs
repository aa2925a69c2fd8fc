using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class HeadsNetTests
{
    /// <summary>A unit sphere traced along a one-turn spiral, coloured by height: a smooth, learnable point sequence.</summary>
    internal static HeadsNetTrainingSet Sphere(float seed, int points) => HeadsNetTrainingSet.FromHeads([SpherePoints(seed, points)], "sphere");

    internal static HeadPoints SpherePoints(float seed, int points)
    {
        var p = new float[points * 6];
        for (int i = 0; i < points; i++)
        {
            double t = (double)i / points, z = 1 - 2 * t, r = Math.Sqrt(1 - z * z), phi = 2 * Math.PI * t;
            p[i * 6] = (float)(r * Math.Cos(phi));
            p[i * 6 + 1] = (float)(r * Math.Sin(phi));
            p[i * 6 + 2] = (float)z;
            p[i * 6 + 3] = (float)t;
            p[i * 6 + 4] = 0.5f;
            p[i * 6 + 5] = (float)(1 - t);
        }
        return new HeadPoints(seed, p);
    }

    /// <summary>The original encoding (2 inputs) on a tiny network: these tests pin the original's behaviour.</summary>
    internal static HeadsNetOptions Tiny(int epochs = 3) => HeadsNetOptions.Original with
    {
        Architecture = DenseArchitecture.HeadsNet with { HiddenLayers = 2, Units = 32 },
        BatchSize = 16,
        Epochs = epochs,
        Optimizer = new OptimizerOptions { LearningRate = 0.01 },
        Threads = 1,
    };

    [Fact]
    public void RowsAreSeedAndIndexOverCount()
    {
        var set = HeadsNetTrainingSet.FromHeads([SpherePoints(0.5f, 4), SpherePoints(0.75f, 2)]);
        Assert.Equal(6, set.Count);
        Assert.Equal(new[] { 0.5f, 0f, 0.5f, 0.25f, 0.5f, 0.5f, 0.5f, 0.75f, 0.75f, 0f, 0.75f, 0.5f }, set.Inputs);
        Assert.Equal(36, set.Targets.Length);
    }

    [Fact]
    public void TrainingReducesTheLossAndReportsEachEpoch()
    {
        var reports = new List<TrainingProgress>();
        using var model = HeadsNetTrainer.Train(Sphere(0.3f, 512), Tiny(epochs: 20), new SyncProgress(reports));
        Assert.Equal(20, reports.Count);
        Assert.Equal(Enumerable.Range(1, 20), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.True(r.SamplesPerSecond > 0));
        var losses = model.Manifest.EpochLosses;
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss went from {losses[0]:G4} to {losses[^1]:G4}");
    }

    [Fact]
    public void SamplingFeedsSeedAndIndexOverCount()
    {
        using var model = HeadsNetTrainer.Train(Sphere(0.3f, 32), Tiny(epochs: 1));
        var cloud = model.Sample(0.3f, 10);
        Assert.Equal(10, cloud.Count);
        Assert.Equal(30, cloud.Colors.Length);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = model.Network.forward(tensor(new float[] { 0.3f, 0.7f }, [1, 2]));
        Assert.Equal(expected[0, 0].item<float>(), cloud.Positions[21], 5);
        Assert.Equal((byte)Math.Clamp(Math.Round(expected[0, 3].item<float>() * 255), 0, 255), cloud.Colors[21]);
    }

    [Fact]
    public void ChamferMatchesAHandComputedExample()
    {
        // a = {(0,0,0)}, b = {(1,0,0), (0,2,0)}: a→b mean 1, b→a mean (1 + 2)/2 = 1.5.
        Assert.Equal(2.5, PointCloudDistance.Chamfer([0, 0, 0], [1, 0, 0, 0, 2, 0]), 12);
        Assert.Equal(0, PointCloudDistance.Chamfer([1, 2, 3, 4, 5, 6], [4, 5, 6, 1, 2, 3]), 12);
        Assert.Throws<ArgumentException>(() => PointCloudDistance.Chamfer([1, 2], [1, 2, 3]));
    }

    [Fact]
    public void AGeneratedHeadIsCloserToItsTrainingHeadThanAnUntrainedOne()
    {
        var head = SpherePoints(0.3f, 400);
        var xyz = Enumerable.Range(0, 400).SelectMany(i => head.Points.AsSpan(i * 6, 3).ToArray()).ToArray();
        using var untrained = HeadsNetTrainer.Train(Sphere(0.3f, 400), Tiny(epochs: 1) with { Optimizer = new OptimizerOptions { LearningRate = 1e-9 } });
        using var trained = HeadsNetTrainer.Train(Sphere(0.3f, 400), Tiny(epochs: 30));
        double before = PointCloudDistance.Chamfer(untrained.Sample(0.3f, 2000).Positions, xyz);
        double after = PointCloudDistance.Chamfer(trained.Sample(0.3f, 2000).Positions, xyz);
        Assert.True(after < before * 0.5, $"Chamfer {before:G4} untrained vs {after:G4} trained");
    }

    [Fact]
    public void APreCancelledTokenStopsBeforeTheFirstStep()
    {
        Assert.ThrowsAny<OperationCanceledException>(() => HeadsNetTrainer.Train(Sphere(0.3f, 32), Tiny(), cancellationToken: new CancellationToken(true)));
    }
}
