using Heads.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Scores of predicted volumes against the truth.</summary>
/// <param name="OccupancyIoU">Mean over heads of |predicted ∩ true occupied| / |predicted ∪ true occupied| (1 when both are empty).</param>
/// <param name="GrayscaleMae">Mean absolute difference of the uint8 voxel values (0..255) over all voxels of all heads.</param>
public sealed record VolumeScores(double OccupancyIoU, double GrayscaleMae);

/// <summary>
/// A FaceNet model on held-out heads beside the two baselines it must beat: the mean training head, and a ridge regression
/// from the 1024 pixels. The original FaceNet3 "produced the same average head whatever the input", which only this comparison exposes.
/// </summary>
public sealed record QualityReport(VolumeScores Model, VolumeScores MeanHead, VolumeScores Ridge, int HeldOutCount, byte OccupancyThreshold, double RidgeLambda)
{
    /// <summary>Better IoU and lower MAE than both baselines.</summary>
    public bool BeatsBaselines =>
        Model.OccupancyIoU > Math.Max(MeanHead.OccupancyIoU, Ridge.OccupancyIoU) &&
        Model.GrayscaleMae < Math.Min(MeanHead.GrayscaleMae, Ridge.GrayscaleMae);
}

public static class FaceNetEvaluation
{
    /// <summary>Scores volumes (N × <paramref name="voxelsPerVolume"/> uint8 each); a voxel is occupied when its value exceeds <paramref name="threshold"/>.</summary>
    public static VolumeScores Score(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int voxelsPerVolume = FaceNetTrainingSet.VolumeVoxels, byte threshold = 0)
    {
        if (voxelsPerVolume < 1) throw new ArgumentOutOfRangeException(nameof(voxelsPerVolume), voxelsPerVolume, "A volume needs at least one voxel.");
        if (predicted.Length != truth.Length) throw new ArgumentException($"{predicted.Length} predicted values but {truth.Length} true values.", nameof(truth));
        if (truth.Length == 0 || truth.Length % voxelsPerVolume != 0) throw new ArgumentException($"Expected a positive whole number of {voxelsPerVolume}-voxel volumes; got {truth.Length} values.", nameof(truth));
        int heads = truth.Length / voxelsPerVolume;
        double iouSum = 0;
        long absSum = 0;
        for (int h = 0; h < heads; h++)
        {
            var p = predicted.Slice(h * voxelsPerVolume, voxelsPerVolume);
            var t = truth.Slice(h * voxelsPerVolume, voxelsPerVolume);
            long both = 0, either = 0;
            for (int i = 0; i < p.Length; i++)
            {
                bool a = p[i] > threshold, b = t[i] > threshold;
                if (a && b) both++;
                if (a || b) either++;
                absSum += Math.Abs(p[i] - t[i]);
            }
            iouSum += either == 0 ? 1.0 : (double)both / either;
        }
        return new VolumeScores(iouSum / heads, (double)absSum / truth.Length);
    }

    /// <summary>Scores <paramref name="model"/> and both baselines (fitted on <paramref name="train"/>) on <paramref name="heldOut"/>.</summary>
    public static QualityReport Evaluate(IVolumePredictor model, FaceNetTrainingSet train, FaceNetTrainingSet heldOut, byte threshold = 0, double ridgeLambda = RidgeBaseline.DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (heldOut.Count == 0) throw new ArgumentException("The held-out set is empty.", nameof(heldOut));
        var mean = new MeanHeadBaseline(train);
        using var ridge = new RidgeBaseline(train, ridgeLambda);
        return new QualityReport(
            Score(model.PredictVolumes(heldOut.Faces), heldOut.Volumes, threshold: threshold),
            Score(mean.PredictVolumes(heldOut.Faces), heldOut.Volumes, threshold: threshold),
            Score(ridge.PredictVolumes(heldOut.Faces), heldOut.Volumes, threshold: threshold),
            heldOut.Count, threshold, ridgeLambda);
    }
}

/// <summary>Predicts the average training volume whatever the face.</summary>
public sealed class MeanHeadBaseline : IVolumePredictor
{
    private readonly byte[] volume;

    public MeanHeadBaseline(FaceNetTrainingSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        var sums = new long[FaceNetTrainingSet.VolumeVoxels];
        for (int s = 0; s < train.Count; s++)
        {
            var v = train.Volume(s);
            for (int i = 0; i < sums.Length; i++) sums[i] += v[i];
        }
        using var scope = NewDisposeScope();
        var mean = tensor(sums.Select(x => (float)(x / 255.0 / train.Count)).ToArray());
        volume = VolumePostProcessing.ToByteArray(mean);
    }

    public ReadOnlySpan<byte> Volume => volume;

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        if (faces.Length % FaceNetTrainingSet.FacePixels != 0) throw new ArgumentException($"Faces must be N × {FaceNetTrainingSet.FacePixels} bytes.", nameof(faces));
        int n = faces.Length / FaceNetTrainingSet.FacePixels;
        var output = new byte[(long)n * volume.Length];
        for (int i = 0; i < n; i++) volume.CopyTo(output, (long)i * volume.Length);
        return output;
    }
}

/// <summary>
/// Linear ridge regression from the 1024 pixels (scaled /255) to the 32768 voxels, closed form: centred X and Y,
/// W = (XᵀX + λI)⁻¹ XᵀY solved with torch.linalg in float64; the intercept is the mean volume.
/// </summary>
public sealed class RidgeBaseline : IVolumePredictor, IDisposable
{
    public const double DefaultLambda = 1.0;

    private readonly Tensor weights;   // [1024, 32768]
    private readonly Tensor faceMean;  // [1024]
    private readonly Tensor volumeMean; // [32768]

    public RidgeBaseline(FaceNetTrainingSet train, double lambda = DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (!(lambda >= 0)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must not be negative.");
        Lambda = lambda;
        using var scope = NewDisposeScope();
        var x = VolumePostProcessing.Scale(train.Faces, FaceNetTrainingSet.FacePixels);
        var y = VolumePostProcessing.Scale(train.Volumes, FaceNetTrainingSet.VolumeVoxels);
        var mx = x.mean([0]);
        var my = y.mean([0]);
        var xc = (x - mx).to(ScalarType.Float64);
        var yc = y.sub_(my);
        var a = xc.t().mm(xc).add_(eye(FaceNetTrainingSet.FacePixels, dtype: ScalarType.Float64).mul_(lambda));
        var b = xc.t().to(ScalarType.Float32).mm(yc).to(ScalarType.Float64);
        weights = linalg.solve(a, b).to(ScalarType.Float32).MoveToOuterDisposeScope();
        faceMean = mx.MoveToOuterDisposeScope();
        volumeMean = my.MoveToOuterDisposeScope();
    }

    public double Lambda { get; }

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        using var scope = NewDisposeScope();
        var x = VolumePostProcessing.Scale(faces, FaceNetTrainingSet.FacePixels);
        return VolumePostProcessing.ToByteArray((x - faceMean).mm(weights).add_(volumeMean));
    }

    public void Dispose()
    {
        weights.Dispose();
        faceMean.Dispose();
        volumeMean.Dispose();
    }
}
