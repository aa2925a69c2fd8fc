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

    /// <param name="predictedHeldOut">The model's volumes for <paramref name="heldOut"/>, as the evaluation made them.</param>
    public async Task WriteVolumesAsync(Guid jobId, TrainingModel model, FaceNetTrainingSet heldOut, byte[] predictedHeldOut,
        IReadOnlyList<double> losses, IReadOnlyList<double> validationLosses, CancellationToken ct)
    {
        if (heldOut.Count > 0)
        {
            int shown = Math.Min(GalleryHeads, heldOut.Count);
            var gallery = await TrainingThread.RunAsync(() =>
            {
                var predicted = predictedHeldOut.AsSpan(0, shown * FaceNetTrainingSet.VolumeVoxels);
                var scores = FaceNetEvaluation.PerHead(predicted, heldOut.Volumes.AsSpan(0, predicted.Length));
                var heads = Enumerable.Range(0, shown).Select(i => new GalleryHead(
                    heldOut.Face(i).ToArray(),
                    heldOut.Volume(i).ToArray(),
                    predictedHeldOut.AsSpan(i * FaceNetTrainingSet.VolumeVoxels, FaceNetTrainingSet.VolumeVoxels).ToArray(),
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
