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

    public static KeyValuePair<string, object?> ModelTag(TrainingModel model) => new("model", model.ToString());

    public static void JobEnded(TrainingModel model, TrainingJobState outcome) =>
        Jobs.Add(1, ModelTag(model), new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
}
