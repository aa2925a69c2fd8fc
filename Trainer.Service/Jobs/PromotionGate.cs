using Azure;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;

namespace Trainer.Service.Jobs;

/// <summary>
/// Decides, before a model's manifest is committed, whether it may become its family's default (see <see cref="ModelPromotion"/>).
/// The current default is the pinned model (models/pins.json) or else the newest promoted one; a face model is compared
/// with it on the new model's own held-out heads, pair by pair, so neither dataset nor threshold differences count.
/// </summary>
public sealed class PromotionGate(TrainedModelStore models, ILogger<PromotionGate> logger)
{
    public async Task<ModelPromotion> DecideVolumesAsync(Guid jobId, QualityReport? quality, FaceNetData data, CancellationToken ct)
    {
        if (quality is null || data.HeldOut.Count == 0)
            return new ModelPromotion { Promoted = false, Reason = "not promoted: the dataset has no held-out heads to judge it on" };
        if (!quality.BeatsBaselines) return new ModelPromotion { Promoted = false, Reason = "not promoted: " + quality.Verdict() };
        var current = await CurrentDefaultAsync(ModelFamily.Volumes, jobId, ct);
        if (current is null || quality.PerHead is not { } ours)
            return new ModelPromotion { Promoted = true, Reason = $"promoted: {quality.Verdict()}; there was no default to compare with" };

        HeadScores theirs;
        try
        {
            theirs = await Task.Run(async () =>
            {
                var predictor = await LoadAsync(current, ct);
                try
                {
                    return FaceNetEvaluation.Score(predictor, data.Validation, data.HeldOut).Scores;
                }
                finally
                {
                    (predictor as IDisposable)?.Dispose();
                }
            }, ct);
        }
        catch (Exception e) when (e is ModelFormatException or RequestFailedException or InvalidDataException)
        {
            logger.LogWarning("Job {JobId}: the current default {Default} could not be scored ({Reason}); judged against the baselines only", jobId, current.JobId, e.Message);
            return new ModelPromotion { Promoted = true, Reason = $"promoted: {quality.Verdict()}; the current default {current.JobId} could not be scored: {e.Message}" };
        }
        var iou = PairedBootstrap.Difference(ours.OccupancyIoU, theirs.OccupancyIoU);
        var mae = PairedBootstrap.Difference(ours.GrayscaleMae, theirs.GrayscaleMae);
        // Worse only when the interval says so: a tie must not flip the default back and forth.
        bool worse = iou.High < 0 || mae.Low > 0;
        var versus = $"against the default {current.Model} {current.JobId} on the same {ours.Count} heads: ΔIoU(>0) {iou}, ΔMAE {mae}";
        return new ModelPromotion
        {
            Promoted = !worse,
            Reason = worse ? $"not promoted: beats both baselines but is worse than the current default ({versus})" : $"promoted: {quality.Verdict()}; {versus}",
            ComparedWith = current.JobId,
            VersusDefaultIoU = iou,
            VersusDefaultMae = mae,
        };
    }

    /// <summary>HeadsNet: the bar of its point-cloud report decides.</summary>
    public static ModelPromotion DecideHeads(bool meetsBar, string reason) =>
        new() { Promoted = meetsBar, Reason = (meetsBar ? "promoted: " : "not promoted: ") + reason };

    /// <summary>
    /// HeadsNet: its bar, then the current default scored on the same training heads (per-head Chamfer, paired): a model
    /// whose heads are significantly farther from the truth than the default's is not promoted.
    /// </summary>
    public async Task<ModelPromotion> DecideHeadsAsync(Guid jobId, HeadsNetQualityReport report, HeadsNetData data, CancellationToken ct)
    {
        if (!report.MeetsBar) return DecideHeads(false, report.Verdict());
        var current = await CurrentDefaultAsync(ModelFamily.Heads, jobId, ct);
        if (current?.WeightsBlob is null) return DecideHeads(true, report.Verdict() + "; there was no default to compare with");
        HeadsNetQualityReport theirs;
        try
        {
            theirs = await Task.Run(async () =>
            {
                await using var weights = await models.Models.GetBlobClient(current.WeightsBlob).OpenReadAsync(cancellationToken: ct);
                using var model = HeadsNetModel.Load(weights, current.Weights);
                return HeadsNetEvaluation.Evaluate(model, data.Train, cancellationToken: ct);
            }, ct);
        }
        catch (Exception e) when (e is ModelFormatException or RequestFailedException or InvalidDataException)
        {
            logger.LogWarning("Job {JobId}: the current HeadsNet default {Default} could not be scored ({Reason})", jobId, current.JobId, e.Message);
            return DecideHeads(true, $"{report.Verdict()}; the current default {current.JobId} could not be scored: {e.Message}");
        }
        var chamfer = PairedBootstrap.Difference(report.Heads.Select(h => h.Chamfer).ToList(), theirs.Heads.Select(h => h.Chamfer).ToList());
        bool worse = chamfer.Low > 0;
        var versus = $"against the default {current.JobId} on the same {report.Heads.Count} heads: ΔChamfer {chamfer}";
        return new ModelPromotion
        {
            Promoted = !worse,
            Reason = worse ? $"not promoted: meets the bar but its heads are farther from the truth than the current default's ({versus})" : $"promoted: {report.Verdict()}; {versus}",
            ComparedWith = current.JobId,
        };
    }

    /// <summary>The pinned model of <paramref name="family"/> if any, else its newest promoted model (never <paramref name="excluding"/>).</summary>
    public async Task<TrainingJobManifest?> CurrentDefaultAsync(ModelFamily family, Guid excluding, CancellationToken ct)
    {
        if ((await models.ReadPinsAsync(ct)).For(family) is Guid pinned && pinned != excluding && await models.ReadManifestAsync(pinned, ct) is { } pinnedManifest)
            return pinnedManifest;
        TrainingJobManifest? newest = null;
        await foreach (var blob in models.Models.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, ct))
        {
            var parts = blob.Name.Split('/');
            if (parts.Length != 2 || parts[1] != TrainingJobLayout.ManifestName || !Guid.TryParse(parts[0], out var id) || id == excluding) continue;
            TrainingJobManifest? manifest;
            try
            {
                manifest = await models.ReadManifestAsync(id, ct);
            }
            catch (InvalidDataException e)
            {
                logger.LogDebug("Skipping {Blob}: {Reason}", blob.Name, e.Message);
                continue;
            }
            if (manifest is { Promotion.Promoted: true } && ModelPins.FamilyOf(manifest.Model) == family && (newest is null || manifest.CreatedAt > newest.CreatedAt))
                newest = manifest;
        }
        return newest;
    }

    private async Task<IVolumePredictor> LoadAsync(TrainingJobManifest manifest, CancellationToken ct)
    {
        switch (manifest.Model)
        {
            case TrainingModel.FaceNet1 or TrainingModel.FaceNet3:
            {
                await using var weights = await models.Models.GetBlobClient(manifest.WeightsBlob).OpenReadAsync(cancellationToken: ct);
                return FaceNetModel.Load(weights, manifest.Weights);
            }
            case TrainingModel.FaceNetPca:
            {
                await using var weights = await models.Models.GetBlobClient(manifest.WeightsBlob).OpenReadAsync(cancellationToken: ct);
                return FaceNetPcaModel.Load(weights, manifest.Weights);
            }
            case TrainingModel.FaceNet2:
            {
                var ranges = manifest.Shards.Select(s => new VoxelShardRange(s.FirstVoxel, s.VoxelCount)).ToList();
                var shards = await Task.WhenAll(ranges.Select(r => models.ReadShardManifestAsync(manifest.JobId, r, ct)));
                return new ShardSequencePredictor(shards, m => models.OpenShardWeights(manifest.JobId, new VoxelShardRange(m.Voxels!.First, m.Voxels.Count)));
            }
            default:
                throw new ModelFormatException($"{manifest.Model} does not predict volumes.");
        }
    }
}
