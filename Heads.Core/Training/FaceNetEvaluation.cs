using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>Scores of predicted volumes against the truth, averaged over heads.</summary>
/// <param name="OccupancyIoU">Mean over heads of |predicted ∩ true| / |predicted ∪ true| with both occupied where the value exceeds the report's occupancy threshold (1 when both are empty).</param>
/// <param name="GrayscaleMae">Mean absolute difference of the uint8 voxel values (0..255) over all voxels of all heads.</param>
/// <param name="ThresholdIoU">IoU of (prediction &gt; <paramref name="Threshold"/>) against the truth's occupied voxels (&gt; 0), at the threshold chosen for this predictor on a validation split of the training data; NaN when none was chosen.</param>
/// <param name="Threshold">The prediction threshold chosen on the validation split (0..254).</param>
public sealed record VolumeScores(double OccupancyIoU, double GrayscaleMae, double ThresholdIoU = double.NaN, byte Threshold = 0);

/// <summary>One predictor's scores per held-out head, in the held-out set's order: what paired comparisons resample.</summary>
public sealed record HeadScores(double[] OccupancyIoU, double[] ThresholdIoU, double[] GrayscaleMae)
{
    public int Count => OccupancyIoU.Length;

    public VolumeScores Mean(byte threshold) => new(OccupancyIoU.Average(), GrayscaleMae.Average(), ThresholdIoU.Average(), threshold);
}

/// <summary>
/// A model against one baseline on the same held-out heads: each figure's mean difference (model − baseline) with its paired
/// bootstrap 95% interval. <see cref="Beaten"/> when every interval excludes zero on the better side: higher IoU at &gt; 0 and at the
/// validation threshold, lower MAE.
/// </summary>
public sealed record BaselineComparison(string Baseline, ScoreDifference OccupancyIoU, ScoreDifference ThresholdIoU, ScoreDifference GrayscaleMae)
{
    public bool Beaten => OccupancyIoU.Low > 0 && ThresholdIoU.Low > 0 && GrayscaleMae.High < 0;

    public static BaselineComparison Of(string baseline, HeadScores model, HeadScores other, int seed = PairedBootstrap.DefaultSeed) => new(
        baseline,
        PairedBootstrap.Difference(model.OccupancyIoU, other.OccupancyIoU, seed),
        PairedBootstrap.Difference(model.ThresholdIoU, other.ThresholdIoU, seed + 1),
        PairedBootstrap.Difference(model.GrayscaleMae, other.GrayscaleMae, seed + 2));
}

/// <summary>
/// A FaceNet model on held-out heads beside the two baselines it must beat: the mean training head, and a ridge regression
/// from the 1024 pixels (λ chosen by cross-validation on the training heads). The original FaceNet3 "produced the same
/// average head whatever the input", which only this comparison exposes. Each predictor's IoU threshold is chosen on the
/// validation heads (training data the model did not fit), never on the held-out ones.
/// </summary>
public sealed record QualityReport(VolumeScores Model, VolumeScores MeanHead, VolumeScores Ridge, int HeldOutCount, byte OccupancyThreshold, double RidgeLambda)
{
    /// <summary>Training heads set aside to choose thresholds (and, for models that use it, the epoch to keep).</summary>
    public int ValidationCount { get; init; }

    public BaselineComparison? VersusRidge { get; init; }

    public BaselineComparison? VersusMeanHead { get; init; }

    /// <summary>The model's per-head scores, so a later model on the same held-out heads can be compared pair by pair.</summary>
    public HeadScores? PerHead { get; init; }

    /// <summary>Beats both baselines: every interval of <see cref="VersusRidge"/> and <see cref="VersusMeanHead"/> excludes zero on the better side.</summary>
    public bool BeatsBaselines => VersusRidge is { } r && VersusMeanHead is { } m
        ? r.Beaten && m.Beaten
        : Model.OccupancyIoU > Math.Max(MeanHead.OccupancyIoU, Ridge.OccupancyIoU) && Model.GrayscaleMae < Math.Min(MeanHead.GrayscaleMae, Ridge.GrayscaleMae);

    /// <summary>Why the model does or does not beat its baselines, in one line.</summary>
    public string Verdict()
    {
        if (VersusRidge is not { } r || VersusMeanHead is not { } m) return BeatsBaselines ? "beats both baselines" : "does not beat both baselines";
        var failures = new List<string>();
        foreach (var c in new[] { r, m })
        {
            if (!(c.OccupancyIoU.Low > 0)) failures.Add($"IoU(>0) vs {c.Baseline} {c.OccupancyIoU}");
            if (!(c.ThresholdIoU.Low > 0)) failures.Add($"IoU(thr) vs {c.Baseline} {c.ThresholdIoU}");
            if (!(c.GrayscaleMae.High < 0)) failures.Add($"MAE vs {c.Baseline} {c.GrayscaleMae}");
        }
        return failures.Count == 0
            ? $"beats both baselines on {HeldOutCount} held-out heads (IoU(>0) vs ridge {r.OccupancyIoU}, MAE vs ridge {r.GrayscaleMae})"
            : $"does not beat its baselines on {HeldOutCount} held-out heads: {string.Join("; ", failures)}";
    }
}

public static class FaceNetEvaluation
{
    /// <summary>Training heads set aside from fitting to choose thresholds and epochs.</summary>
    public const double ValidationFraction = 0.15;

    /// <summary>The split's seed: the same heads are validation heads for every model trained on a dataset.</summary>
    public const int ValidationSeed = 20_241_204;

    /// <summary>The training heads a model fits and the validation heads it does not (a deterministic split of <paramref name="train"/>).</summary>
    public static (FaceNetTrainingSet Fit, FaceNetTrainingSet Validation) ValidationSplit(FaceNetTrainingSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count < 4) return (train, train.Take(0));
        var (fit, validation) = train.Split(ValidationSeed, ValidationFraction);
        return (new FaceNetTrainingSet(fit.Faces, fit.Volumes, train.Id + "/fit"), new FaceNetTrainingSet(validation.Faces, validation.Volumes, train.Id + "/validation"));
    }

    /// <summary>Scores volumes (N × <paramref name="voxelsPerVolume"/> uint8 each); a voxel is occupied when its value exceeds <paramref name="threshold"/>.</summary>
    public static VolumeScores Score(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int voxelsPerVolume = FaceNetTrainingSet.VolumeVoxels, byte threshold = 0)
    {
        var perHead = PerHead(predicted, truth, voxelsPerVolume, threshold, threshold);
        return new VolumeScores(perHead.OccupancyIoU.Average(), perHead.GrayscaleMae.Average());
    }

    /// <summary>
    /// Per-head IoU with both sides thresholded at <paramref name="occupancy"/>, IoU of (prediction &gt; <paramref name="predictionThreshold"/>)
    /// against the truth's voxels &gt; 0, and MAE.
    /// </summary>
    public static HeadScores PerHead(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int voxelsPerVolume = FaceNetTrainingSet.VolumeVoxels,
        byte occupancy = 0, byte predictionThreshold = 0)
    {
        int heads = CheckVolumes(predicted, truth, voxelsPerVolume);
        var iou = new double[heads];
        var thresholdIou = new double[heads];
        var mae = new double[heads];
        for (int h = 0; h < heads; h++)
        {
            var p = predicted.Slice(h * voxelsPerVolume, voxelsPerVolume);
            var t = truth.Slice(h * voxelsPerVolume, voxelsPerVolume);
            long both = 0, either = 0, bothT = 0, eitherT = 0, abs = 0;
            for (int i = 0; i < p.Length; i++)
            {
                bool a = p[i] > occupancy, b = t[i] > occupancy;
                if (a && b) both++;
                if (a || b) either++;
                bool at = p[i] > predictionThreshold, bt = t[i] > 0;
                if (at && bt) bothT++;
                if (at || bt) eitherT++;
                abs += Math.Abs(p[i] - t[i]);
            }
            iou[h] = either == 0 ? 1.0 : (double)both / either;
            thresholdIou[h] = eitherT == 0 ? 1.0 : (double)bothT / eitherT;
            mae[h] = (double)abs / voxelsPerVolume;
        }
        return new HeadScores(iou, thresholdIou, mae);
    }

    /// <summary>
    /// The prediction threshold t (0..254) that maximises the mean IoU of (prediction &gt; t) against the true occupied voxels
    /// over <paramref name="predicted"/>'s heads; the lowest such t on ties. One histogram pass per head.
    /// </summary>
    public static byte ChooseThreshold(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int voxelsPerVolume = FaceNetTrainingSet.VolumeVoxels)
    {
        int heads = CheckVolumes(predicted, truth, voxelsPerVolume);
        var meanIou = new double[255];
        var occupied = new long[256];
        var empty = new long[256];
        for (int h = 0; h < heads; h++)
        {
            Array.Clear(occupied);
            Array.Clear(empty);
            var p = predicted.Slice(h * voxelsPerVolume, voxelsPerVolume);
            var t = truth.Slice(h * voxelsPerVolume, voxelsPerVolume);
            long trueCount = 0;
            for (int i = 0; i < p.Length; i++)
            {
                if (t[i] > 0) { occupied[p[i]]++; trueCount++; }
                else empty[p[i]]++;
            }
            // Walk t from 254 down: above[t] = predictions > t.
            long hits = 0, falseHits = 0;
            for (int th = 254; th >= 0; th--)
            {
                hits += occupied[th + 1];
                falseHits += empty[th + 1];
                long union = trueCount + falseHits;
                meanIou[th] += union == 0 ? 1.0 : (double)hits / union;
            }
        }
        int best = 0;
        for (int th = 1; th < meanIou.Length; th++)
            if (meanIou[th] > meanIou[best] + 1e-12) best = th;
        return (byte)best;
    }

    /// <summary>
    /// Scores <paramref name="model"/> and both baselines on <paramref name="heldOut"/>. The baselines fit <paramref name="fit"/> (the
    /// heads the model fitted; ridge's λ by cross-validation on them unless <paramref name="ridgeLambda"/> is given); every
    /// predictor's threshold is chosen on <paramref name="validation"/> (none when it is empty: threshold 0).
    /// </summary>
    public static QualityReport Evaluate(IVolumePredictor model, FaceNetTrainingSet fit, FaceNetTrainingSet validation, FaceNetTrainingSet heldOut,
        double? ridgeLambda = null) =>
        Evaluate(PredictedVolumes.Of(model, validation, heldOut), fit, validation, heldOut, ridgeLambda);

    /// <summary>The same from the model's volumes already predicted for <paramref name="validation"/> and <paramref name="heldOut"/>.</summary>
    public static QualityReport Evaluate(PredictedVolumes model, FaceNetTrainingSet fit, FaceNetTrainingSet validation, FaceNetTrainingSet heldOut,
        double? ridgeLambda = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (heldOut.Count == 0) throw new ArgumentException("The held-out set is empty.", nameof(heldOut));
        var mean = new MeanHeadBaseline(fit);
        double lambda = ridgeLambda ?? RidgeBaseline.CrossValidatedLambda(fit);
        using var ridge = new RidgeBaseline(fit, lambda);
        var (modelScores, modelThreshold) = Score(model, validation, heldOut);
        var (meanScores, meanThreshold) = Score(mean, validation, heldOut);
        var (ridgeScores, ridgeThreshold) = Score(ridge, validation, heldOut);
        return new QualityReport(modelScores.Mean(modelThreshold), meanScores.Mean(meanThreshold), ridgeScores.Mean(ridgeThreshold), heldOut.Count, 0, lambda)
        {
            ValidationCount = validation.Count,
            VersusRidge = BaselineComparison.Of("ridge", modelScores, ridgeScores),
            VersusMeanHead = BaselineComparison.Of("mean head", modelScores, meanScores),
            PerHead = modelScores,
        };
    }

    /// <summary>As the full form without validation heads: every threshold is 0.</summary>
    public static QualityReport Evaluate(IVolumePredictor model, FaceNetTrainingSet fit, FaceNetTrainingSet heldOut, double? ridgeLambda = null) =>
        Evaluate(model, fit, (fit ?? throw new ArgumentNullException(nameof(fit))).Take(0), heldOut, ridgeLambda);

    /// <summary>A predictor's per-head scores on <paramref name="heldOut"/> at the threshold it gets on <paramref name="validation"/>.</summary>
    public static (HeadScores Scores, byte Threshold) Score(IVolumePredictor predictor, FaceNetTrainingSet validation, FaceNetTrainingSet heldOut) =>
        Score(PredictedVolumes.Of(predictor, validation, heldOut), validation, heldOut);

    /// <summary>The same from predicted volumes.</summary>
    public static (HeadScores Scores, byte Threshold) Score(PredictedVolumes predicted, FaceNetTrainingSet validation, FaceNetTrainingSet heldOut)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        byte threshold = validation.Count > 0 ? ChooseThreshold(predicted.Validation, validation.Volumes) : (byte)0;
        return (PerHead(predicted.HeldOut, heldOut.Volumes, predictionThreshold: threshold), threshold);
    }

    private static int CheckVolumes(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int voxelsPerVolume)
    {
        if (voxelsPerVolume < 1) throw new ArgumentOutOfRangeException(nameof(voxelsPerVolume), voxelsPerVolume, "A volume needs at least one voxel.");
        if (predicted.Length != truth.Length) throw new ArgumentException($"{predicted.Length} predicted values but {truth.Length} true values.", nameof(truth));
        if (truth.Length == 0 || truth.Length % voxelsPerVolume != 0) throw new ArgumentException($"Expected a positive whole number of {voxelsPerVolume}-voxel volumes; got {truth.Length} values.", nameof(truth));
        return truth.Length / voxelsPerVolume;
    }
}

/// <summary>
/// A predictor's volumes for a dataset's validation and held-out heads, made in one call: a FaceNet2 read shard by shard
/// streams its weights once for both, and the gallery reuses the held-out ones.
/// </summary>
public sealed record PredictedVolumes(byte[] Validation, byte[] HeldOut)
{
    public static PredictedVolumes Of(IVolumePredictor predictor, FaceNetTrainingSet validation, FaceNetTrainingSet heldOut)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (validation.Count + heldOut.Count == 0) return new PredictedVolumes([], []);
        var volumes = predictor.PredictVolumes([.. validation.Faces, .. heldOut.Faces]);
        int split = validation.Count * FaceNetTrainingSet.VolumeVoxels;
        return new PredictedVolumes(volumes[..split], volumes[split..]);
    }
}
