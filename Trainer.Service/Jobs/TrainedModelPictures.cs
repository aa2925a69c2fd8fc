using Heads.Core.Contracts;
using Heads.Core.Inference;
using Heads.Core.Models;
using Heads.Core.Rendering;
using Heads.Core.Training;

namespace Trainer.Service.Jobs;

/// <summary>
/// Draws what a user would rather look at than read, beside each committed model: gallery.png (held-out heads: photo,
/// true head, predicted head; or HeadsNet heads by seed) and losses.png (training and validation loss per epoch). Written
/// before the manifest, so a model is never announced without its pictures; rewriting them is harmless.
/// </summary>
public sealed class TrainedModelPictures(TrainedModelStore models, ILogger<TrainedModelPictures> logger)
{
    /// <summary>Held-out heads in a face model's gallery.</summary>
    public const int GalleryHeads = 8;

    public async Task WriteVolumesAsync(Guid jobId, TrainingModel model, IVolumePredictor predictor, FaceNetTrainingSet heldOut,
        IReadOnlyList<double> losses, IReadOnlyList<double> validationLosses, CancellationToken ct)
    {
        if (heldOut.Count > 0)
        {
            var shown = heldOut.Take(GalleryHeads);
            var gallery = await TrainingThread.RunAsync(() =>
            {
                var predicted = predictor.PredictVolumes(shown.Faces);
                var scores = FaceNetEvaluation.PerHead(predicted, shown.Volumes);
                var heads = Enumerable.Range(0, shown.Count).Select(i => new GalleryHead(
                    shown.Face(i).ToArray(),
                    shown.Volume(i).ToArray(),
                    predicted.AsSpan(i * FaceNetTrainingSet.VolumeVoxels, FaceNetTrainingSet.VolumeVoxels).ToArray(),
                    $"held-out {i + 1}: IoU {scores.OccupancyIoU[i]:F2}  MAE {scores.GrayscaleMae[i]:F1}")).ToList();
                return ModelPictures.VolumeGallery(heads);
            }, ct);
            await UploadAsync(ModelJobLayout.GalleryBlob(jobId), gallery, ct);
        }
        await WriteLossesAsync(jobId, model, losses, validationLosses, ct);
    }

    public async Task WriteHeadsAsync(Guid jobId, IReadOnlyList<(float Seed, HeadPointCloud Head)> heads, IReadOnlyList<double> losses, CancellationToken ct)
    {
        if (heads.Count > 0) await UploadAsync(ModelJobLayout.GalleryBlob(jobId), ModelPictures.SeedGallery(heads), ct);
        await WriteLossesAsync(jobId, TrainingModel.HeadsNet, losses, [], ct);
    }

    private async Task WriteLossesAsync(Guid jobId, TrainingModel model, IReadOnlyList<double> losses, IReadOnlyList<double> validationLosses, CancellationToken ct)
    {
        if (losses.Count == 0) return;
        var chart = ModelPictures.LossCurves(losses, validationLosses.Count > 0 ? validationLosses : null, $"{model} loss per epoch");
        await UploadAsync(ModelJobLayout.LossesBlob(jobId), chart, ct);
    }

    private async Task UploadAsync(string blob, byte[] png, CancellationToken ct)
    {
        await models.UploadPictureAsync(blob, png, ct);
        logger.LogDebug("Wrote {Blob} ({Bytes:N0} bytes)", blob, png.Length);
    }
}
