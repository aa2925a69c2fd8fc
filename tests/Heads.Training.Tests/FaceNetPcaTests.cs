using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class FaceNetPcaTests
{
    [Fact]
    public void ThePrincipalComponentsOfLowRankVolumesReconstructThemExactly()
    {
        using var scope = NewDisposeScope();
        // Six volumes in a 3-dimensional affine subspace: three components reconstruct them; their coefficients have unit variance.
        var generator = new Generator(3);
        var directions = rand([3, 32768], generator: generator);
        var weights = randn([6, 3], generator: generator);
        var volumes = weights.mm(directions).add(0.5f);
        var (basis, mean) = FaceNetPcaTrainer.PrincipalComponents(volumes, 3);
        Assert.Equal([3L, 32768L], basis.shape);
        var norms = basis.square().sum([1]);
        var coefficients = (volumes - mean).mm(basis.t()).div(norms);
        var reconstructed = coefficients.mm(basis).add(mean);
        Assert.True((reconstructed - volumes).abs().max().item<float>() < 1e-3f);
        Assert.True((coefficients.var([0], unbiased: false) - 1).abs().max().item<float>() < 1e-3f);
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceNetPcaTrainer.PrincipalComponents(volumes, 6));
    }

    [Fact]
    public void FaceNetPcaLearnsALearnableSetKeepsItsBestEpochAndRoundTripsThroughItsFile()
    {
        var set = ShellSet(48, seed: 2);
        var (train, heldOut) = set.Split(seed: 3, heldOutFraction: 0.25);
        var (fit, validation) = FaceNetEvaluation.ValidationSplit(train);
        var options = new FaceNetPcaOptions { Components = 8, HiddenUnits = 64, Epochs = 40, BatchSize = 8, Dropout = 0.1, Loss = VolumeLoss.EmptyAware };
        using var model = FaceNetPcaTrainer.Train(fit, validation, options);
        Assert.Equal(ModelKind.FaceNetPca, model.Manifest.Kind);
        Assert.Equal(8, model.Components);
        Assert.Equal(40, model.Manifest.EpochLosses.Count);
        Assert.Equal(40, model.Manifest.ValidationLosses.Count);
        int kept = model.Manifest.KeptEpoch!.Value;
        Assert.Equal(model.Manifest.ValidationLosses.Min(), model.Manifest.ValidationLosses[kept - 1]);
        Assert.True(model.Manifest.EpochLosses[^1] < model.Manifest.EpochLosses[0]);
        // It predicts better than the mean head on heads it never saw.
        var ours = FaceNetEvaluation.Score(model.PredictVolumes(heldOut.Faces), heldOut.Volumes);
        var mean = FaceNetEvaluation.Score(new MeanHeadBaseline(fit).PredictVolumes(heldOut.Faces), heldOut.Volumes);
        Assert.True(ours.GrayscaleMae < mean.GrayscaleMae, $"FaceNetPca MAE {ours.GrayscaleMae:F2}, mean head {mean.GrayscaleMae:F2}");

        using var file = new MemoryStream();
        var saved = model.Save(file);
        file.Position = 0;
        using var loaded = FaceNetPcaModel.Load(file, saved);
        Assert.Equal(model.PredictVolumes(heldOut.Faces), loaded.PredictVolumes(heldOut.Faces));
        Assert.Equal(saved.Architecture, loaded.Manifest.Architecture);
        Assert.Equal(0.1, loaded.Manifest.Architecture.Dropout);
        // Predictions are deterministic: dropout is off outside training.
        Assert.Equal(loaded.PredictVolumes(heldOut.Faces), loaded.PredictVolumes(heldOut.Faces));

        file.Position = 0;
        Assert.Throws<ModelFormatException>(() => FaceNetModel.Load(file));
    }

    [Fact]
    public void TheEmptyAwareLossLiftsIoUAtZeroForTheSameNetwork()
    {
        // Most voxels empty: plain MSE leaves a faint haze in the empty ones that IoU (> 0) counts.
        var (train, heldOut) = ShellSet(40, seed: 5).Split(seed: 1, heldOutFraction: 0.25);
        var options = new FaceNetPcaOptions { Components = 8, HiddenUnits = 64, Epochs = 40, BatchSize = 8, Dropout = 0, KeepBestEpoch = false };
        using var mse = FaceNetPcaTrainer.Train(train, null, options with { Loss = VolumeLoss.Mse });
        using var emptyAware = FaceNetPcaTrainer.Train(train, null, options with { Loss = VolumeLoss.EmptyAware });
        var a = mse.PredictVolumes(heldOut.Faces);
        var b = emptyAware.PredictVolumes(heldOut.Faces);
        long Haze(byte[] predicted) => predicted.Where((v, i) => v > 0 && heldOut.Volumes[i] == 0).LongCount();
        var (iouA, iouB) = (FaceNetEvaluation.Score(a, heldOut.Volumes).OccupancyIoU, FaceNetEvaluation.Score(b, heldOut.Volumes).OccupancyIoU);
        Assert.True(Haze(b) < 0.85 * Haze(a), $"empty voxels predicted occupied: empty-aware {Haze(b)}, MSE {Haze(a)}");
        Assert.True(iouB > iouA, $"IoU(>0) empty-aware {iouB:F3}, MSE {iouA:F3}");
    }

    /// <summary>
    /// Heads as shells: face i is a uniform brightness b (plus noise) and its volume a spherical shell of radius 5 + 8b voxels,
    /// value 120: a relation no linear map gets exactly, with most voxels empty, as in real heads.
    /// </summary>
    private static FaceNetTrainingSet ShellSet(int samples, int seed)
    {
        var rng = new Random(seed);
        var faces = new byte[samples * 1024];
        var volumes = new byte[samples * 32768];
        for (int s = 0; s < samples; s++)
        {
            double b = rng.NextDouble();
            for (int p = 0; p < 1024; p++) faces[s * 1024 + p] = (byte)Math.Clamp(b * 200 + rng.Next(-10, 11), 0, 255);
            double r = 5 + 8 * b;
            for (int z = 0; z < 32; z++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                    {
                        double d = Math.Sqrt((x - 15.5) * (x - 15.5) + (y - 15.5) * (y - 15.5) + (z - 15.5) * (z - 15.5));
                        if (Math.Abs(d - r) < 1) volumes[s * 32768 + z * 1024 + y * 32 + x] = 120;
                    }
        }
        return new FaceNetTrainingSet(faces, volumes, "shells");
    }
}
