using Heads.Core.Models;
using Heads.Core.Training;

namespace Heads.Training.Tests;

public class EvaluationTests
{
    [Fact]
    public void ScoresMatchHandComputedValues()
    {
        byte[] predicted = [0, 10, 20, 0, 5, 5, 0, 0];
        byte[] truth = [0, 10, 0, 30, 5, 0, 0, 0];
        // head 1: predicted {1,2}, true {1,3} → 1/3; head 2: predicted {0,1}, true {0} → 1/2.
        var scores = FaceNetEvaluation.Score(predicted, truth, voxelsPerVolume: 4);
        Assert.Equal(5.0 / 12, scores.OccupancyIoU, 12);
        Assert.Equal(55.0 / 8, scores.GrayscaleMae, 12);
        // threshold 5: head 1 unchanged; head 2 has nothing occupied on either side → IoU 1.
        Assert.Equal((1.0 / 3 + 1) / 2, FaceNetEvaluation.Score(predicted, truth, 4, threshold: 5).OccupancyIoU, 12);
        Assert.Throws<ArgumentException>(() => FaceNetEvaluation.Score(predicted, truth.AsSpan(0, 4), 4));
    }

    [Fact]
    public void TheMeanHeadIsTheAverageTrainingVolume()
    {
        var volumes = new byte[2 * 32768];
        volumes[7] = 100;
        volumes[32768 + 7] = 51;
        volumes[32768 + 9] = 1; // mean 0.5/255 < 0.003 → 0 after post-processing
        var baseline = new MeanHeadBaseline(new FaceNetTrainingSet(new byte[2 * 1024], volumes));
        Assert.Equal(76, baseline.Volume[7]); // (100 + 51) / 2 = 75.5 → 76
        Assert.Equal(0, baseline.Volume[9]);
        Assert.Equal(3 * 32768, baseline.PredictVolumes(new byte[3 * 1024]).Length);
    }

    [Fact]
    public void RidgeRecoversALinearMapAndTheReportRanksModels()
    {
        var set = LinearSet(60, seed: 3);
        var (train, heldOut) = set.Split(seed: 1, heldOutFraction: 0.2);
        using var ridge = new RidgeBaseline(train, lambda: 1e-3);
        var predicted = ridge.PredictVolumes(heldOut.Faces);
        var scores = FaceNetEvaluation.Score(predicted, heldOut.Volumes);
        Assert.True(scores.GrayscaleMae < 0.6, $"ridge MAE {scores.GrayscaleMae}");

        var oracle = new Oracle(set);
        var report = FaceNetEvaluation.Evaluate(oracle, train, heldOut, ridgeLambda: 1e-3);
        Assert.Equal(12, report.HeldOutCount);
        Assert.Equal(new VolumeScores(1, 0, 1, 0), report.Model);
        Assert.True(report.MeanHead.GrayscaleMae > report.Ridge.GrayscaleMae);
        Assert.True(report.BeatsBaselines);
        var meanOnly = FaceNetEvaluation.Evaluate(new MeanHeadBaseline(train), train, heldOut, ridgeLambda: 1e-3);
        Assert.False(meanOnly.BeatsBaselines);
    }

    [Fact]
    public void TheValidationThresholdMaximisesTheMeanIoUAndIsAppliedToPredictionsOnly()
    {
        // Truth occupies voxels 0 and 1 of each 4-voxel head. Head 1 predicts {9, 9, 3, 0}, head 2 {12, 4, 3, 3}.
        byte[] truth = [10, 10, 0, 0, 10, 10, 0, 0];
        byte[] predicted = [9, 9, 3, 0, 12, 4, 3, 3];
        // t = 0: (2/3 + 2/4) / 2 = 0.583; t = 3: (2/2 + 2/2) / 2 = 1; t = 4: (1 + 1/2) / 2; so 3 is the first best.
        Assert.Equal(3, FaceNetEvaluation.ChooseThreshold(predicted, truth, voxelsPerVolume: 4));
        var scores = FaceNetEvaluation.PerHead(predicted, truth, voxelsPerVolume: 4, predictionThreshold: 3);
        Assert.Equal([1.0, 1.0], scores.ThresholdIoU);
        Assert.Equal([2.0 / 3, 2.0 / 4], scores.OccupancyIoU);
        Assert.Equal([(1 + 1 + 3 + 0) / 4.0, (2 + 6 + 3 + 3) / 4.0], scores.GrayscaleMae);
        // An empty prediction and an empty truth agree perfectly; predicting nothing for a head scores 0.
        Assert.Equal(0, FaceNetEvaluation.ChooseThreshold(new byte[4], new byte[4], 4));
        Assert.Equal([0.0], FaceNetEvaluation.PerHead(new byte[4], [0, 5, 0, 0], 4).ThresholdIoU);
    }

    [Fact]
    public void ThePairedBootstrapIntervalExcludesZeroOnlyForAConsistentDifference()
    {
        var rng = new Random(5);
        var baseline = Enumerable.Range(0, 100).Select(_ => rng.NextDouble()).ToArray();
        var better = baseline.Select(b => b + 0.02 + (rng.NextDouble() - 0.5) * 0.01).ToArray();
        var d = PairedBootstrap.Difference(better, baseline);
        Assert.InRange(d.Mean, 0.019, 0.021);
        Assert.True(d.Low > 0 && d.Low < d.Mean && d.High > d.Mean, d.ToString());
        // Noise of either sign around the same heads: the interval straddles zero.
        var noisy = baseline.Select(b => b + (rng.NextDouble() - 0.5) * 0.2).ToArray();
        var n = PairedBootstrap.Difference(noisy, baseline);
        Assert.True(n.Low < 0 && n.High > 0, n.ToString());
        Assert.Equal(PairedBootstrap.Difference(better, baseline), PairedBootstrap.Difference(better, baseline)); // seeded: repeatable
        Assert.Throws<ArgumentException>(() => PairedBootstrap.Difference(better, baseline.Take(99).ToArray()));
    }

    [Fact]
    public void CrossValidationPicksASmallLambdaForALinearMapAndALargeOneForNoise()
    {
        Assert.True(RidgeBaseline.CrossValidatedLambda(LinearSet(80, seed: 4)) <= 1);
        var rng = new Random(9);
        var faces = new byte[80 * 1024];
        var volumes = new byte[80 * 32768];
        rng.NextBytes(faces);
        for (int s = 0; s < 80; s++)
            for (int v = 0; v < 64; v++) volumes[s * 32768 + v] = (byte)rng.Next(256); // unrelated to the faces
        Assert.Equal(RidgeBaseline.LambdaGrid[^1], RidgeBaseline.CrossValidatedLambda(new FaceNetTrainingSet(faces, volumes)));
    }

    [Fact]
    public void TheEmptyAwareLossIgnoresPredictionsBelowZeroWhereTheTargetIsEmpty()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var prediction = TorchSharp.torch.tensor(new[] { -0.5f, 0.25f, -0.5f, 0.5f });
        var target = TorchSharp.torch.tensor(new[] { 0f, 0f, 0.5f, 0.5f });
        Assert.Equal(new[] { 0f, 0.25f, -1f, 0f }, VolumeLoss.EmptyAware.Residual(prediction, target).data<float>().ToArray());
        Assert.Equal(new[] { -0.5f, 0.25f, -1f, 0f }, VolumeLoss.Mse.Residual(prediction, target).data<float>().ToArray());
        Assert.Equal((0.0625 + 1) / 4, VolumeLoss.EmptyAware.Mean(prediction, target).item<float>(), 6);
        Assert.True(VolumeLosses.TryParse("empty-aware", out var parsed) && parsed == VolumeLoss.EmptyAware);
        Assert.False(VolumeLosses.TryParse("1", out _));
    }

    [Fact]
    public void AReportSaysWhyAModelDoesNotBeatItsBaselines()
    {
        var set = LinearSet(60, seed: 3);
        var (train, heldOut) = set.Split(seed: 1, heldOutFraction: 0.2);
        var (fit, validation) = FaceNetEvaluation.ValidationSplit(train);
        var report = FaceNetEvaluation.Evaluate(new MeanHeadBaseline(fit), fit, validation, heldOut);
        Assert.Equal((12, validation.Count), (report.HeldOutCount, report.ValidationCount));
        Assert.True(validation.Count > 0 && fit.Count + validation.Count == train.Count);
        Assert.False(report.BeatsBaselines);
        Assert.False(report.VersusRidge!.Beaten);
        Assert.StartsWith("does not beat its baselines", report.Verdict());
        Assert.Contains("vs ridge", report.Verdict());
        // The mean head against itself: zero difference, an interval of zero width.
        Assert.Equal(new ScoreDifference(0, 0, 0), report.VersusMeanHead!.GrayscaleMae);
    }

    /// <summary>Voxel v (v &lt; 64) is face pixel v, voxel 64 + v is 255 − pixel v, the rest empty: exactly linear.</summary>
    private static FaceNetTrainingSet LinearSet(int samples, int seed)
    {
        var rng = new Random(seed);
        var faces = new byte[samples * 1024];
        rng.NextBytes(faces);
        var volumes = new byte[samples * 32768];
        for (int s = 0; s < samples; s++)
            for (int v = 0; v < 64; v++)
            {
                volumes[s * 32768 + v] = faces[s * 1024 + v];
                volumes[s * 32768 + 64 + v] = (byte)(255 - faces[s * 1024 + v]);
            }
        return new FaceNetTrainingSet(faces, volumes, "linear");
    }

    private sealed class Oracle(FaceNetTrainingSet set) : IVolumePredictor
    {
        public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
        {
            var output = new byte[faces.Length / 1024 * 32768];
            for (int i = 0; i < faces.Length / 1024; i++)
            {
                var face = faces.Slice(i * 1024, 1024).ToArray();
                int match = Enumerable.Range(0, set.Count).First(s => set.Face(s).SequenceEqual(face));
                set.Volume(match).CopyTo(output.AsSpan(i * 32768));
            }
            return output;
        }
    }
}
