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
        Assert.Equal(new VolumeScores(1, 0), report.Model);
        Assert.True(report.MeanHead.GrayscaleMae > report.Ridge.GrayscaleMae);
        Assert.True(report.BeatsBaselines);
        var meanOnly = FaceNetEvaluation.Evaluate(new MeanHeadBaseline(train), train, heldOut, ridgeLambda: 1e-3);
        Assert.False(meanOnly.BeatsBaselines);
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
