using System.Text;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;

namespace Heads.Training.Tests;

public class HeadsNetEvaluationTests
{
    [Fact]
    public void CompareMatchesAHandComputedCase()
    {
        // True head: (0,0,0) and (2,0,0), largest extent 2; colours (0.2, 0.4, 0.6) and black.
        var set = new HeadsNetTrainingSet([0.5f, 0f, 0.5f, 0.1f], [0, 0, 0, 0.2f, 0.4f, 0.6f, 2, 0, 0, 0, 0, 0]);
        var reference = HeadsNetEvaluation.Reference(set, HeadsNetEvaluation.HeadsOf(set)[0.5f], maxPoints: 100);
        Assert.Equal(2, reference.Extent);
        var generated = new HeadPointCloud([0, 0, 0, 0, 1, 0], [10, 20, 30, 100, 100, 100]);
        var m = HeadsNetEvaluation.Compare(generated, reference);
        // generated → true: 0 and 1 (mean 0.5); true → generated: 0 and 2 (mean 1); in extents: (0.25 + 0.5) / 2.
        Assert.Equal(0.375, m.Chamfer, 6);
        // Only (0,0,0) has a generated point within 0.02 extents.
        Assert.Equal(0.5, m.Coverage, 12);
        // Both generated points are nearest to (0,0,0), colour (51, 102, 153): (41+82+123 + 49+2+53) / 6.
        Assert.Equal(350 / 6.0, m.ColorMae, 4);
        Assert.Equal(0, HeadsNetEvaluation.Compare(new HeadPointCloud([0, 0, 0, 2, 0, 0], [51, 102, 153, 0, 0, 0]), reference).Chamfer, 6);
    }

    [Fact]
    public void TheGridFindsTheSameNearestPointsAsAFullScan()
    {
        var rng = new Random(7);
        // A sphere shell (a surface, like a head) and queries near it, inside it and far outside it.
        var cloud = new float[3000 * 3];
        for (int i = 0; i < 3000; i++)
        {
            double z = rng.NextDouble() * 2 - 1, phi = rng.NextDouble() * 2 * Math.PI, s = Math.Sqrt(1 - z * z);
            (cloud[i * 3], cloud[i * 3 + 1], cloud[i * 3 + 2]) = ((float)(s * Math.Cos(phi)), (float)(s * Math.Sin(phi)), (float)z);
        }
        var grid = new PointGrid(cloud);
        for (int q = 0; q < 2000; q++)
        {
            float scale = q % 4 == 3 ? 6f : 1.3f;
            float x = (float)(rng.NextDouble() * 2 - 1) * scale, y = (float)(rng.NextDouble() * 2 - 1) * scale, z = (float)(rng.NextDouble() * 2 - 1) * scale;
            float best = float.MaxValue;
            for (int i = 0; i < 3000; i++)
            {
                float dx = cloud[i * 3] - x, dy = cloud[i * 3 + 1] - y, dz = cloud[i * 3 + 2] - z;
                best = Math.Min(best, dx * dx + dy * dy + dz * dz);
            }
            var (index, squared) = grid.Nearest(x, y, z);
            Assert.Equal(best, squared);
            float ex = cloud[index * 3] - x, ey = cloud[index * 3 + 1] - y, ez = cloud[index * 3 + 2] - z;
            Assert.Equal(squared, ex * ex + ey * ey + ez * ez);
        }
        // The Chamfer of a comparison is torch's (sum of both mean distances) halved, over the extent.
        var generated = cloud.Select((v, i) => v * 0.9f + (i % 3 == 0 ? 0.05f : 0)).Take(1500 * 3).ToArray();
        var colors = new float[cloud.Length];
        var reference = new HeadsNetEvaluation.ReferenceHead(cloud, colors, 2);
        double chamfer = HeadsNetEvaluation.Compare(new HeadPointCloud(generated, new byte[generated.Length]), reference).Chamfer;
        Assert.Equal(PointCloudDistance.Chamfer(generated, cloud) / 2 / 2, chamfer, 5);
    }

    [Fact]
    public void ThinningKeepsAnEvenShareAndTheWholeHeadsExtent()
    {
        var inputs = new float[100 * 2];
        var targets = new float[100 * 6];
        for (int i = 0; i < 100; i++) targets[i * 6] = i;
        var set = new HeadsNetTrainingSet(inputs, targets);
        var reference = HeadsNetEvaluation.Reference(set, HeadsNetEvaluation.HeadsOf(set)[0f], maxPoints: 10);
        Assert.Equal(99, reference.Extent);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)(i * 10)), Enumerable.Range(0, 10).Select(i => reference.Positions[i * 3]));
    }

    private static HeadsNetHeadQuality Head(float seed, double chamfer, double coverage) => new() { Seed = seed, Chamfer = chamfer, Coverage = coverage, ColorMae = 10 * seed };

    private static HeadsNetMidSeedQuality Mid(double chamfer) => new() { Seed = 0.5f, Lower = 0.4f, Upper = 0.6f, Chamfer = chamfer };

    [Fact]
    public void TheReportTakesMediansAndSaysWhyItMissesTheBar()
    {
        var good = HeadsNetEvaluation.Report(3, 8192, 8192, [Head(1, 0.02, 0.80), Head(2, 0.012, 0.85), Head(3, 0.005, 0.99)], [Mid(0.01), Mid(0.05), Mid(0.03)]);
        Assert.Equal((0.012, 0.85, 20.0), (good.MedianChamfer, good.MedianCoverage, good.MedianColorMae));
        Assert.Equal(0.03, good.MedianMidSeedChamfer!.Value, 12);
        Assert.Equal(0.05, good.MaxMidSeedChamfer);
        Assert.True(good.MeetsBar, good.Reason);
        Assert.Null(good.Reason);

        var bad = HeadsNetEvaluation.Report(2, 8192, 8192, [Head(1, 0.02, 0.80), Head(2, 0.03, 0.7)], [Mid(0.04)]);
        Assert.False(bad.MeetsBar);
        Assert.Contains("median Chamfer 0.0250 > 0.012", bad.Reason);
        Assert.Contains("median coverage", bad.Reason);
        Assert.Contains("mid-seed", bad.Reason);
        var chamferOnly = HeadsNetEvaluation.Report(1, 8192, 8192, [Head(1, 0.013, 0.9)], []);
        Assert.False(chamferOnly.MeetsBar);
        Assert.DoesNotContain("coverage", chamferOnly.Reason);
        Assert.Null(chamferOnly.MedianMidSeedChamfer);
    }

    [Fact]
    public void AJobManifestKeepsTheReportAndReadsAnOlderOneAsNone()
    {
        var report = HeadsNetEvaluation.Report(1, 8192, 8192, [Head(1, 0.01, 0.9)], []);
        var manifest = new TrainingJobManifest
        {
            JobId = Guid.NewGuid(), Model = TrainingModel.HeadsNet, DatasetId = "d1", Architecture = DenseArchitecture.HeadsNet,
            WeightsBlob = "w", Weights = new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = DenseArchitecture.HeadsNet },
            PointCloud = report, CreatedAt = DateTimeOffset.UnixEpoch,
        };
        var reread = TrainingJobManifest.Parse(manifest.ToJson()).PointCloud!;
        Assert.Equal((report.MedianChamfer, report.MeetsBar), (reread.MedianChamfer, reread.MeetsBar));
        Assert.Equal(report.Heads, reread.Heads);

        var json = Encoding.UTF8.GetString(manifest.ToJson());
        int start = json.IndexOf("\"pointCloud\"", StringComparison.Ordinal);
        int end = json.IndexOf("\"createdAt\"", StringComparison.Ordinal);
        var old = json[..start] + "\"pointCloud\": {\"trainingHeadChamfer\": 0.1, \"trainingHeadSeed\": 0.125, \"points\": 4096, \"heldOutHeadChamfer\": null, \"heldOutHeadSeed\": null},\n  " + json[end..];
        var parsed = TrainingJobManifest.Parse(Encoding.UTF8.GetBytes(old));
        Assert.Null(parsed.PointCloud);
        Assert.Equal(manifest.JobId, parsed.JobId);
    }
}
