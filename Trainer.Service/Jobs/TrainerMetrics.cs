using System.Diagnostics.Metrics;
using Heads.Core.Contracts;

namespace Trainer.Service.Jobs;

/// <summary>The trainer's instruments on the shared Heads meter (heads.trainer.*).</summary>
public static class TrainerMetrics
{
    public static readonly Histogram<double> Loss = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.trainer.loss", "1", "Mean training loss (MSE) of each epoch");

    public static readonly Histogram<double> SamplesPerSecond = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.trainer.samples_per_second", "{sample}/s", "Training samples processed per second in each epoch");

    public static readonly Counter<long> Shards = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.trainer.shards", "{shard}", "FaceNet2 voxel shards finished (outcome: trained, skipped)");

    public static readonly Histogram<double> ShardDuration = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.trainer.shard.duration", "s", "Wall time to train and store one voxel shard");

    public static readonly Counter<long> Jobs = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.trainer.jobs", "{job}", "Training jobs ended (outcome: completed, failed, cancelled)");

    public static readonly Histogram<double> HeldOutScore = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.trainer.held_out.score", "1", "A committed face model's held-out figure (figure: iou, threshold_iou, mae; predictor: model, ridge, mean_head)");

    public static readonly Counter<long> Promotions = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.trainer.promotions", "{model}", "Committed models judged by the promotion gate (promoted: true, false)");

    public static KeyValuePair<string, object?> ModelTag(TrainingModel model) => new("model", model.ToString());

    /// <summary>The gate's verdict and, for face models, each predictor's held-out figures, for the dashboard's metrics view.</summary>
    public static void ModelJudged(TrainingModel model, Heads.Core.Training.QualityReport? quality, Heads.Core.Training.Jobs.ModelPromotion promotion)
    {
        Promotions.Add(1, ModelTag(model), new KeyValuePair<string, object?>("promoted", promotion.Promoted));
        if (quality is null) return;
        foreach (var (predictor, scores) in new[] { ("model", quality.Model), ("ridge", quality.Ridge), ("mean_head", quality.MeanHead) })
        {
            var who = new KeyValuePair<string, object?>("predictor", predictor);
            HeldOutScore.Record(scores.OccupancyIoU, ModelTag(model), who, new("figure", "iou"));
            HeldOutScore.Record(scores.ThresholdIoU, ModelTag(model), who, new("figure", "threshold_iou"));
            HeldOutScore.Record(scores.GrayscaleMae, ModelTag(model), who, new("figure", "mae"));
        }
    }

    public static void JobEnded(TrainingModel model, TrainingJobState outcome) =>
        Jobs.Add(1, ModelTag(model), new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
}
